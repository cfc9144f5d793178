import { mount } from 'svelte';
import App from './App.svelte';
import { initLanguage } from './i18n/i18n.svelte';
import { startRouter } from './lib/router.svelte';
import { loadSession } from './lib/session.svelte';
import './styles.css';

initLanguage();
startRouter();
void loadSession();

const target = document.getElementById('app');
if (target) {
  mount(App, { target });
}
