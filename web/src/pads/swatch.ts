/**
 * A Svelte action that paints an element in a person's colour through the CSSOM, which the
 * Content-Security-Policy allows (a `style` attribute would be refused).
 */
export function swatch(node: HTMLElement, color: string): { update: (next: string) => void } {
  node.style.setProperty('--person-color', color);
  return {
    update(next: string) {
      node.style.setProperty('--person-color', next);
    },
  };
}
