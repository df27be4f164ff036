/** Where a multi-step form is: an ordered list with the current step marked for assistive tech. */
export function Stepper({ label, steps, current }: { label: string; steps: string[]; current: number }) {
  return (
    <nav aria-label={label} className="mb-6">
      <ol className="flex flex-wrap items-center gap-2 text-sm">
        {steps.map((step, index) => {
          const state = index < current ? "done" : index === current ? "current" : "todo";
          return (
            <li key={step} className="flex items-center gap-2" aria-current={state === "current" ? "step" : undefined}>
              <span
                aria-hidden="true"
                className={`flex h-7 w-7 items-center justify-center rounded-full text-xs font-semibold ${
                  state === "current" ? "bg-brand-600 text-white" : state === "done" ? "bg-brand-50 text-brand-700 ring-1 ring-brand-600" : "bg-slate-200 text-slate-600"
                }`}
              >
                {state === "done" ? "✓" : index + 1}
              </span>
              <span className={state === "current" ? "font-semibold text-slate-900" : "text-slate-600"}>
                <span className="sr-only">{`Step ${index + 1} of ${steps.length}${state === "done" ? ", done" : ""}: `}</span>
                {step}
              </span>
              {index < steps.length - 1 ? <span aria-hidden="true" className="mx-2 h-px w-10 bg-slate-300" /> : null}
            </li>
          );
        })}
      </ol>
    </nav>
  );
}
