/**
 * Client-side routing with the History API. The server answers every non-API path with
 * index.html, so a reload or a link from an email lands on the right page.
 */
import { matchRoute, type Route } from './routes';

const state = $state<{ route: Route; path: string; search: string }>({
  route: matchRoute(typeof location === 'undefined' ? '/' : location.pathname),
  path: typeof location === 'undefined' ? '/' : location.pathname,
  search: typeof location === 'undefined' ? '' : location.search,
});

export const router = {
  get route(): Route {
    return state.route;
  },
  get path(): string {
    return state.path;
  },
  /** A query parameter of the current URL. */
  param(name: string): string | null {
    return new URLSearchParams(state.search).get(name);
  },
};

function sync(): void {
  state.path = location.pathname;
  state.search = location.search;
  state.route = matchRoute(location.pathname);
}

/** Goes to a path of this app without reloading the page. */
export function navigate(href: string, options: { replace?: boolean } = {}): void {
  const url = new URL(href, location.origin);
  if (url.origin !== location.origin) {
    location.assign(href);
    return;
  }
  const target = url.pathname + url.search + url.hash;
  if (options.replace) {
    history.replaceState(null, '', target);
  } else if (target !== location.pathname + location.search + location.hash) {
    history.pushState(null, '', target);
  }
  sync();
  window.scrollTo(0, 0);
}

/** Handles clicks on same-origin links and the back and forward buttons. */
export function startRouter(): void {
  window.addEventListener('popstate', sync);
  document.addEventListener('click', (event) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
      return;
    }
    const anchor = (event.target as Element | null)?.closest?.('a');
    if (!anchor || !anchor.href || anchor.hasAttribute('download') || (anchor.target && anchor.target !== '_self')) {
      return;
    }
    const url = new URL(anchor.href);
    if (url.origin !== location.origin || url.pathname.startsWith('/api/')) {
      return;
    }
    // In-page anchors (the skip link) keep the browser's own behaviour.
    if (url.hash && url.pathname === location.pathname && url.search === location.search) {
      return;
    }
    event.preventDefault();
    navigate(url.pathname + url.search + url.hash);
  });
}
