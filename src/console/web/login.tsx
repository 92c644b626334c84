import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from './api.js';

export function Login({ onLoggedIn }: { onLoggedIn: () => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState('');
  // The form is the whole page: the key field has focus from the start, so a keyboard user types the
  // key at once (the form is drawn after the session check, too late for the autofocus attribute).
  const field = useRef<HTMLInputElement>(null);
  useEffect(() => field.current?.focus(), []);
  const submit = async (event: Event) => {
    event.preventDefault();
    setError('');
    try {
      await api.login(key);
      onLoggedIn();
    } catch {
      setError('That key was refused. Use one of the API keys configured in auth.apiKeys.');
    }
  };
  return (
    <main class="login">
      <h1>voc-engine console</h1>
      <form onSubmit={submit}>
        <label for="key">API key</label>
        <input ref={field} id="key" name="key" type="password" autocomplete="current-password" value={key} onInput={(e) => setKey(e.currentTarget.value)} required />
        <button type="submit">Sign in</button>
        {error && (
          <p class="error" role="alert" id="login-error">
            {error}
          </p>
        )}
      </form>
    </main>
  );
}
