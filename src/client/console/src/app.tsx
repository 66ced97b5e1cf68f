import type { BookingClient } from "@booking-platform/client";
import type { ComponentChildren } from "preact";
import { useEffect, useErrorBoundary, useMemo, useState } from "preact/hooks";
import { call, clientFor, storedKey, storeKey } from "./api.js";
import { ProblemView } from "./components/problem-view.js";
import { useRoute } from "./hooks.js";
import { type Session, SessionContext } from "./session.js";
import { InstancePage } from "./views/instance-page.js";
import { OnboardPage } from "./views/onboard-page.js";
import { Overview } from "./views/overview.js";
import { SignIn } from "./views/sign-in.js";

/** Whether a key may search (availability:read): asked once at sign-in, without failing it. */
async function probeSearch(client: BookingClient): Promise<boolean> {
  const { response } = await client.GET("/v1/treatments").catch(() => ({ response: undefined }));
  return response?.ok === true;
}

export function App() {
  const [key, setKey] = useState<string | undefined>(storedKey);
  const [canSearch, setCanSearch] = useState(false);
  const [notice, setNotice] = useState<string>();
  const route = useRoute();

  const client = useMemo(() => (key ? clientFor(key) : undefined), [key]);
  useEffect(() => {
    if (client) void probeSearch(client).then(setCanSearch);
  }, [client]);

  const session: Session | undefined = useMemo(
    () =>
      client
        ? {
            client,
            canSearch,
            signOut: (message?: string) => {
              storeKey(undefined);
              setKey(undefined);
              setNotice(message);
            },
          }
        : undefined,
    [client, canSearch],
  );

  if (!session) {
    return (
      <SignIn
        notice={notice}
        onSignIn={async (candidate) => {
          // The key must reach the admin API: any problem it answers (401, 403) is shown and the key is not kept.
          await call(clientFor(candidate).GET("/v1/admin/instances"));
          storeKey(candidate);
          setNotice(undefined);
          setKey(candidate);
        }}
      />
    );
  }

  const [section, id] = route;
  const view =
    section === "onboard" ? <OnboardPage /> : section === "instances" && id ? <InstancePage key={id} instanceId={id} /> : <Overview />;
  const current = section === "onboard" ? "onboard" : section === "instances" ? "instance" : "overview";

  return (
    <SessionContext.Provider value={session}>
      {/* A button, not a link to #main: the route lives in the hash. */}
      <button type="button" class="skip-link" onClick={() => document.getElementById("main")?.focus()}>
        Skip to the content
      </button>
      <header class="top">
        <div class="brand">
          <Logo />
          <span>
            Booking platform <span class="muted">operator console</span>
          </span>
        </div>
        <nav aria-label="Console">
          <ul>
            <li>
              <a href="#/" aria-current={current === "overview" ? "page" : undefined}>
                Providers
              </a>
            </li>
            <li>
              <a href="#/onboard" aria-current={current === "onboard" ? "page" : undefined}>
                Onboard a provider
              </a>
            </li>
            <li>
              <a href="/docs" target="_blank" rel="noreferrer">
                API reference
              </a>
            </li>
          </ul>
        </nav>
        <button type="button" class="secondary sign-out" onClick={() => session.signOut("Signed out. The key was forgotten by this tab.")}>
          Sign out
        </button>
      </header>
      {!canSearch ? (
        <p class="banner" role="note">
          This key has the <code>admin</code> scope only: mapping offers no list of Vården's treatments and slots cannot be searched. A key
          with <code>admin,availability:read</code> does both (
          <code>npm run keys -- create --client ops --scopes admin,availability:read</code>
          ).
        </p>
      ) : null}
      <main id="main" tabIndex={-1}>
        <Guard key={route.join("/")}>{view}</Guard>
      </main>
    </SessionContext.Provider>
  );
}

/** A view that throws while rendering shows what happened and a way on, never a blank page. */
function Guard({ children }: { children: ComponentChildren }) {
  const [error, reset] = useErrorBoundary();
  if (!error) return <>{children}</>;
  const message = error instanceof Error ? error.message : String(error);
  return (
    <>
      <ProblemView
        focus
        problem={{
          title: "This view failed in the page",
          detail: `${message}. Nothing was changed by it; try again, or go back to the providers.`,
        }}
      />
      <div class="actions">
        <button type="button" onClick={reset}>
          Try again
        </button>
        <a class="button" href="#/">
          Providers
        </a>
      </div>
    </>
  );
}

function Logo() {
  return (
    <svg class="logo" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
      <rect x="3" y="4" width="18" height="17" rx="3" class="logo-frame" />
      <path d="M3 9h18M8 2v4M16 2v4" class="logo-lines" />
      <path d="M8.5 14.5l2.5 2.5 4.5-5" class="logo-check" />
    </svg>
  );
}
