import { render } from 'preact';
import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import { AlertsView } from './alerts-view.js';
import { api, Unauthorized } from './api.js';
import { Board } from './board.js';
import { DriversView } from './drivers-view.js';
import { CallView } from './call-view.js';
import { LiveConnection } from './live.js';
import { Login } from './login.js';
import { ConsoleState } from './state.js';
import './styles.css';

type Route = { view: 'calls' } | { view: 'alerts' } | { view: 'drivers' } | { view: 'call'; callId: string };

function parseRoute(hash: string): Route {
  const call = /^#\/call\/(.+)$/.exec(hash);
  if (call?.[1]) return { view: 'call', callId: decodeURIComponent(call[1]) };
  if (hash === '#/alerts') return { view: 'alerts' };
  if (hash === '#/drivers') return { view: 'drivers' };
  return { view: 'calls' };
}

const NAME_KEY = 'voc-console-name';

/** Renders run in an animation frame: never more than the screen shows, none in a hidden tab. */
function inNextFrame(render: () => void, delayMs: number): void {
  setTimeout(() => requestAnimationFrame(render), delayMs);
}

function Console({ onUnauthorized }: { onUnauthorized: () => void }) {
  const state = useMemo(() => new ConsoleState(inNextFrame), []);
  const [, setVersion] = useState(0);
  const [now, setNow] = useState(Date.now());
  const [route, setRoute] = useState<Route>(parseRoute(location.hash));
  const [me, setMe] = useState(localStorage.getItem(NAME_KEY) ?? '');
  const [error, setError] = useState('');

  useEffect(() => state.subscribe(() => setVersion(state.version)), [state]);
  useEffect(() => {
    const tick = setInterval(() => setNow(Date.now()), 1000);
    const onHash = () => setRoute(parseRoute(location.hash));
    window.addEventListener('hashchange', onHash);
    // Effects run after the first paint: a hash change between the first render and here fired no
    // listener, so read the hash again now.
    onHash();
    return () => {
      clearInterval(tick);
      window.removeEventListener('hashchange', onHash);
    };
  }, []);

  const callId = route.view === 'call' ? route.callId : undefined;
  const live = useMemo(
    () =>
      new LiveConnection(state, async () => {
        const callId = state.watchedCallId;
        if (!callId) return;
        const detail = await api.call(callId);
        if (state.watchedCallId === callId) state.setDetail(detail);
      }),
    [state],
  );

  useEffect(() => {
    const fail = (err: unknown) => (err instanceof Unauthorized ? onUnauthorized() : setError(err instanceof Error ? err.message : String(err)));
    Promise.all([api.calls(), api.alerts()])
      .then(([board, page]) => {
        state.setCalls(board.calls);
        state.addAlerts(page.entries, page.acks);
        if (state.lastAlertId === '0-0') state.lastAlertId = page.lastId;
        live.start();
      })
      .catch(fail);
    return () => live.stop();
  }, [state, live, onUnauthorized]);

  useEffect(() => {
    // Watch first (the feed sends the call's lines from then on), then load what Redis has.
    live.watch(callId);
    if (!callId) return;
    api.call(callId).then(
      (detail) => {
        if (state.watchedCallId === callId) state.setDetail(detail);
      },
      (err: unknown) => setError(err instanceof Error ? err.message : String(err)),
    );
  }, [callId, state, live]);

  // The summary is written at the call's end: reload the open call when it ends.
  const ended = state.detail?.call.state === 'ended' && !state.detail.summary;
  useEffect(() => {
    if (!ended || !callId) return;
    const timer = setTimeout(
      () =>
        void api.call(callId).then((d) => {
          if (state.watchedCallId === callId) state.setDetail(d);
        }),
      300,
    );
    return () => clearTimeout(timer);
  }, [ended, callId, state]);

  const saveName = (name: string) => {
    setMe(name);
    localStorage.setItem(NAME_KEY, name);
  };
  const logout = () => void api.logout().then(onUnauthorized);

  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header>
        <h1>voc-engine console</h1>
        <nav aria-label="Views">
          <a href="#/calls" aria-current={route.view === 'calls' ? 'page' : undefined}>
            Live calls
          </a>
          <a href="#/alerts" aria-current={route.view === 'alerts' ? 'page' : undefined}>
            Alert feed
          </a>
          <a href="#/drivers" aria-current={route.view === 'drivers' ? 'page' : undefined}>
            Drivers and spikes
          </a>
        </nav>
        <span class={`conn conn-${state.connection}`} role="status" id="connection">
          {state.connection}
        </span>
        <label>
          Your name <input value={me} onInput={(e) => saveName(e.currentTarget.value)} maxLength={100} id="me" />
        </label>
        <button type="button" onClick={logout}>
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        {route.view === 'calls' && <Board state={state} now={now} callsListVersion={state.callsListVersion} />}
        {route.view === 'alerts' && <AlertsView state={state} me={me} alertsVersion={state.alertsVersion} />}
        {route.view === 'drivers' && <DriversView spikeVersion={state.spikeVersion} />}
        {route.view === 'call' && <CallView state={state} me={me} detailVersion={state.detailVersion} />}
      </main>
    </>
  );
}

function App() {
  const [session, setSession] = useState<'checking' | 'in' | 'out'>('checking');
  const check = () =>
    void api.session().then(
      (s) => setSession(s.authenticated ? 'in' : 'out'),
      () => setSession('out'),
    );
  useEffect(check, []);
  const loggedOut = useCallback(() => setSession('out'), []);
  const loggedIn = useCallback(() => setSession('in'), []);
  if (session === 'checking') return <p>Loading…</p>;
  if (session === 'out') return <Login onLoggedIn={loggedIn} />;
  return <Console onUnauthorized={loggedOut} />;
}

const root = document.getElementById('app');
if (root) render(<App />, root);
