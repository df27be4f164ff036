function CodeBlock({ label, children }: { label: string; children: string }) {
  return (
    <figure className="space-y-1">
      <figcaption className="text-sm font-medium text-slate-800">{label}</figcaption>
      <pre className="overflow-x-auto rounded-md bg-slate-900 p-3 text-xs leading-relaxed text-slate-100">
        <code>{children}</code>
      </pre>
    </figure>
  );
}

/** The exact commands to install and start the agent against this console. */
export function InstallSteps({ consoleUrl, sha256 }: { consoleUrl: string; sha256: string | null }) {
  const isHttp = consoleUrl.startsWith("http://") && !/^http:\/\/(localhost|127\.0\.0\.1|\[::1\])[:/]/.test(consoleUrl);
  const download = `${consoleUrl}/api/agent/download`;
  return (
    <div className="space-y-4">
      <CodeBlock label="1. Download the agent on the source server (Node.js 20 or later), and check it">
        {`curl -fsSL -o /usr/local/bin/ferry-agent ${download}
${sha256 ? `echo "${sha256}  /usr/local/bin/ferry-agent" | sha256sum -c -\n` : ""}chmod 755 /usr/local/bin/ferry-agent`}
      </CodeBlock>
      <CodeBlock label="2. Save the console's address and an access key (create one under IAM › Users). The SK is read without echo, never put on the command line">
        {`read -rsp "Secret key (SK): " FERRY_SK && export FERRY_SK && echo
ferry-agent init --console ${consoleUrl} --ak <your AK>${isHttp ? " --allow-http" : ""}
unset FERRY_SK`}
      </CodeBlock>
      <CodeBlock label="3. Start it as a source agent (as root, to read every disk); it registers the server here">
        {`ferry-agent source            # add --verbose to see its log on the terminal
ferry-agent status            # what it knows: console, AK, server id, last heartbeat`}
      </CodeBlock>
      <p className="text-sm text-slate-600">
        The configuration is kept in <code className="rounded bg-slate-100 px-1">/var/lib/ferry-agent/config.json</code> (mode 0600) when run as
        root, <code className="rounded bg-slate-100 px-1">~/.ferry-agent</code> otherwise; the log in its <code className="rounded bg-slate-100 px-1">logs/</code>{" "}
        folder. For a console with a certificate from a private CA, add <code className="rounded bg-slate-100 px-1">--ca-file /path/to/ca.pem</code> to{" "}
        <code className="rounded bg-slate-100 px-1">init</code> (and <code className="rounded bg-slate-100 px-1">--cacert</code> to curl).
      </p>
    </div>
  );
}
