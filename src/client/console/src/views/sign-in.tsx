import { useState } from "preact/hooks";
import { problemFrom, type ShownProblem } from "../api.js";
import { PageHeading } from "../components/page-heading.js";
import { ProblemView } from "../components/problem-view.js";

/** Sign-in with an admin API key; the API itself says whether the key may (401, 403 in words). */
export function SignIn({ onSignIn, notice }: { onSignIn: (key: string) => Promise<void>; notice?: string }) {
  const [key, setKey] = useState("");
  const [problem, setProblem] = useState<ShownProblem>();
  const [busy, setBusy] = useState(false);
  return (
    <main id="main" class="sign-in">
      <div class="panel">
        <PageHeading>Operator console</PageHeading>
        <p>
          Onboard clinic chains, map their codes and keep their providers healthy, through the platform's admin API. Sign in with an API key
          that has the <code>admin</code> scope (and <code>availability:read</code> to search slots).
        </p>
        {notice ? (
          <p class="notice" role="status">
            {notice}
          </p>
        ) : null}
        <form
          onSubmit={async (event) => {
            event.preventDefault();
            setBusy(true);
            setProblem(undefined);
            try {
              await onSignIn(key.trim());
            } catch (error) {
              setProblem(problemFrom(error));
            } finally {
              setBusy(false);
            }
          }}
        >
          <div class="field">
            <label for="api-key">Admin API key</label>
            <input
              id="api-key"
              type="password"
              autocomplete="off"
              spellcheck={false}
              required
              value={key}
              aria-describedby="api-key-hint"
              aria-invalid={problem ? true : undefined}
              onInput={(e) => setKey(e.currentTarget.value)}
            />
            <span id="api-key-hint" class="hint">
              <code>npm run keys -- create --client ops --scopes admin,availability:read</code> makes one; <code>npm start</code> prints a
              development key. Kept in this tab only, until it closes or you sign out.
            </span>
          </div>
          <button type="submit" disabled={busy}>
            {busy ? "Signing in…" : "Sign in"}
          </button>
        </form>
        {problem ? <ProblemView problem={problem} focus context="The key was not accepted" /> : null}
      </div>
    </main>
  );
}
