/** Svelte compiler settings shared by Vite and svelte-check. */
export default {
  compilerOptions: {
    // Component CSS goes into the emitted .css file: the server's Content-Security-Policy
    // (style-src 'self') forbids <style> elements injected at run time.
    css: 'external',
    runes: true,
  },
};
