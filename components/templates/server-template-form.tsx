"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { useTRPC } from "@/components/trpc/client";
import { errorMessage } from "@/components/trpc/error-message";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Field } from "@/components/ui/field";
import { Fieldset } from "@/components/ui/fieldset";
import { RadioOption } from "@/components/ui/radio";
import { SelectField } from "@/components/ui/select";
import { createServerTemplateSchema, type ServerSettings } from "@/server/services/templates/schemas";
import type { ServerTemplateDto } from "@/server/services/templates/server-templates";
import { firstIssueAt, issueMapOf, type IssueMap } from "./issues";

export const DISK_MAPPING_POLICIES: Record<ServerSettings["diskMappingPolicy"], { label: string; description: string }> = {
  "in-order": { label: "In order", description: "The first source disk goes to the first target disk, the second to the second, and so on." },
  "smallest-fit": { label: "Smallest that fits", description: "Each source disk goes to the smallest free target disk that holds it." },
};

type NetworkDraft = { mode: "keep-source" | "static"; address: string; gateway: string; dns: string };

function networkDraftOf(network: ServerSettings["network"] | undefined): NetworkDraft {
  if (network?.mode === "static") return { mode: "static", address: network.address, gateway: network.gateway, dns: network.dns.join(", ") };
  return { mode: "keep-source", address: "", gateway: "", dns: "" };
}

function networkOf(draft: NetworkDraft): ServerSettings["network"] {
  if (draft.mode === "keep-source") return { mode: "keep-source" };
  return { mode: "static", address: draft.address.trim(), gateway: draft.gateway.trim(), dns: draft.dns.split(/[\s,]+/).filter(Boolean) };
}

/** Create or edit a server template; validated with the server's own schema before sending. */
export function ServerTemplateForm({ template, onDone }: { template: ServerTemplateDto | null; onDone: (message: string) => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const headingRef = useRef<HTMLHeadingElement>(null);
  const targets = useQuery(trpc.servers.list.queryOptions({ role: "target", pageSize: 100 }));
  const [name, setName] = useState(template?.name ?? "");
  const [description, setDescription] = useState(template?.description ?? "");
  const [targetServerId, setTargetServerId] = useState(template?.targetServerId ?? "");
  const [policy, setPolicy] = useState<ServerSettings["diskMappingPolicy"]>(template?.settings.diskMappingPolicy ?? "in-order");
  const [network, setNetwork] = useState(() => networkDraftOf(template?.settings.network));
  const [hostname, setHostname] = useState(template?.settings.hostname ?? "");
  const [errors, setErrors] = useState<IssueMap>({});
  const [serverError, setServerError] = useState<string | null>(null);

  useEffect(() => headingRef.current?.focus(), []);

  const onSuccess = async (_saved: unknown, sent: { name: string }) => {
    await queryClient.invalidateQueries({ queryKey: trpc.templates.server.list.queryKey() });
    onDone(template ? `Saved the server template "${sent.name}".` : `Created the server template "${sent.name}".`);
  };
  const create = useMutation(trpc.templates.server.create.mutationOptions({ onSuccess, onError: (e) => setServerError(errorMessage(e)) }));
  const update = useMutation(trpc.templates.server.update.mutationOptions({ onSuccess, onError: (e) => setServerError(errorMessage(e)) }));
  const isPending = create.isPending || update.isPending;

  function submit(event: React.FormEvent) {
    event.preventDefault();
    setServerError(null);
    const parsed = createServerTemplateSchema.safeParse({
      name,
      description,
      targetServerId: targetServerId || null,
      settings: { diskMappingPolicy: policy, network: networkOf(network), hostname: hostname.trim() || null },
    });
    if (!parsed.success) {
      setErrors(issueMapOf(parsed.error));
      return;
    }
    setErrors({});
    if (template) update.mutate({ ...parsed.data, templateId: template.id });
    else create.mutate(parsed.data);
  }

  const targetItems = targets.data?.items ?? [];
  // A template may name a target that is gone from the list (deleted): keep it selectable by id.
  const isKnownTarget = !targetServerId || targetItems.some((t) => t.id === targetServerId);
  return (
    <section aria-labelledby="server-template-form-heading" className="mb-6 rounded-lg border border-slate-200 bg-white p-6">
      <h2 id="server-template-form-heading" ref={headingRef} tabIndex={-1} className="text-lg font-semibold text-slate-900 focus:outline-none">
        {template ? `Edit server template "${template.name}"` : "New server template"}
      </h2>
      <form noValidate onSubmit={submit} className="mt-4 space-y-6">
        {Object.keys(errors).length ? <Alert>Some settings need fixing; see the messages next to them.</Alert> : null}
        {serverError ? <Alert>{serverError}</Alert> : null}
        <div className="grid gap-4 sm:grid-cols-2">
          <Field label="Name" value={name} onChange={(e) => setName(e.target.value)} error={errors.name} maxLength={64} />
          <Field label="Description" value={description} onChange={(e) => setDescription(e.target.value)} error={errors.description} hint="Optional" />
        </div>
        <div className="max-w-md">
          <SelectField
            label="Target server"
            value={targetServerId}
            onChange={(e) => setTargetServerId(e.target.value)}
            error={errors.targetServerId}
            hint={targetItems.length === 0 && !targets.isLoading ? "No target server is registered yet: the wizard asks for one when the task is created." : "The wizard preselects it when this template is chosen."}
          >
            <option value="">Choose in the wizard</option>
            {targetItems.map((t) => (
              <option key={t.id} value={t.id}>
                {t.hostname}
                {t.connection === "offline" ? " (offline)" : ""}
              </option>
            ))}
            {!isKnownTarget ? <option value={targetServerId}>{template?.targetServerName ?? "A removed target server"}</option> : null}
          </SelectField>
        </div>
        <Fieldset legend="Disk mapping policy" role="radiogroup" error={errors["settings.diskMappingPolicy"]}>
          <div className="grid gap-2 sm:grid-cols-2">
            {(Object.keys(DISK_MAPPING_POLICIES) as ServerSettings["diskMappingPolicy"][]).map((key) => (
              <RadioOption
                key={key}
                name="diskMappingPolicy"
                value={key}
                checked={policy === key}
                onChange={() => setPolicy(key)}
                label={DISK_MAPPING_POLICIES[key].label}
                description={DISK_MAPPING_POLICIES[key].description}
              />
            ))}
          </div>
        </Fieldset>
        <Fieldset legend="Network at launch" role="radiogroup">
          <div className="grid gap-2 sm:grid-cols-2">
            <RadioOption
              name="networkMode"
              value="keep-source"
              checked={network.mode === "keep-source"}
              onChange={() => setNetwork({ ...network, mode: "keep-source" })}
              label="Keep the source's addresses"
              description="The target comes up with the network settings copied from the source."
            />
            <RadioOption
              name="networkMode"
              value="static"
              checked={network.mode === "static"}
              onChange={() => setNetwork({ ...network, mode: "static" })}
              label="Set a static address"
              description="The target comes up with the address, gateway and DNS servers below."
            />
          </div>
          {network.mode === "static" ? (
            <div className="grid gap-4 sm:grid-cols-3">
              <Field label="Address with prefix" placeholder="10.0.0.5/24" value={network.address} onChange={(e) => setNetwork({ ...network, address: e.target.value })} error={errors["settings.network.address"]} />
              <Field label="Gateway" placeholder="10.0.0.1" value={network.gateway} onChange={(e) => setNetwork({ ...network, gateway: e.target.value })} error={errors["settings.network.gateway"]} />
              <Field
                label="DNS servers"
                placeholder="10.0.0.2, 1.1.1.1"
                value={network.dns}
                onChange={(e) => setNetwork({ ...network, dns: e.target.value })}
                error={firstIssueAt(errors, "settings.network.dns")}
                hint="Up to 3, separated by commas or spaces"
              />
            </div>
          ) : null}
        </Fieldset>
        <div className="max-w-md">
          <Field label="Host name" placeholder="Keep the source's" value={hostname} onChange={(e) => setHostname(e.target.value)} error={errors["settings.hostname"]} hint="Leave empty to keep the source's host name." />
        </div>
        <div className="flex gap-2">
          <Button type="submit" disabled={isPending}>
            {isPending ? "Saving…" : template ? "Save template" : "Create template"}
          </Button>
          <Button type="button" variant="secondary" onClick={() => onDone("")}>
            Cancel
          </Button>
        </div>
      </form>
    </section>
  );
}
