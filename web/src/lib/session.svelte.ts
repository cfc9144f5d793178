/** Who is logged in, and what this instance is, as reactive state shared by every page. */
import { api, ApiError, onSessionExpired, setCsrfToken, type Instance, type Me, type Session } from '../api';
import { initLanguage, setLanguage } from '../i18n/i18n.svelte';

const state = $state<{ me: Me | null; loaded: boolean; instance: Instance | null; notice: string; noticePath: string }>({
  me: null,
  loaded: false,
  instance: null,
  notice: '',
  noticePath: '',
});

export const session = {
  /** The logged-in user, or null. */
  get me(): Me | null {
    return state.me;
  },
  /** True once we know whether someone is logged in. */
  get loaded(): boolean {
    return state.loaded;
  },
  get instance(): Instance | null {
    return state.instance;
  },
  /** A message for the page we are going to (for example "your account was deleted"). */
  get notice(): string {
    return state.notice;
  },
  /** The path on which the notice shows; it disappears on the next navigation. */
  get noticePath(): string {
    return state.noticePath;
  },
};

/** Shows a message on the page at `path` (the page the caller is about to navigate to). */
export function showNotice(text: string, path: string): void {
  state.notice = text;
  state.noticePath = path;
}

export function dismissNotice(): void {
  state.notice = '';
}

/** Loads the instance description and the current session when the app starts. */
export async function loadSession(): Promise<void> {
  // A session that ends on the server (revoked elsewhere, expired) ends here too.
  onSessionExpired(() => {
    if (state.me) clearSession();
  });
  const [instance, current] = await Promise.allSettled([api.instance(), api.session()]);
  if (instance.status === 'fulfilled') {
    state.instance = instance.value;
    initLanguage(instance.value.default_language);
  }
  if (current.status === 'fulfilled') {
    setMe(current.value.user);
  } else if (!(current.reason instanceof ApiError) || current.reason.status !== 401) {
    console.warn('could not load the session', current.reason);
  }
  state.loaded = true;
}

/** Records a fresh session (login, password change): the account's language wins. */
export function setSession(value: Session): void {
  setCsrfToken(value.csrf_token);
  setMe(value.user);
}

export function setMe(me: Me): void {
  state.me = me;
  setLanguage(me.language);
}

/** Forgets the session locally (after logout or account deletion). */
export function clearSession(): void {
  setCsrfToken(null);
  state.me = null;
}

export function setInstance(instance: Instance): void {
  state.instance = instance;
}
