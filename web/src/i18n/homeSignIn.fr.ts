/**
 * Messages en français de la connexion avec son instance d’origine et des membres d’espaces
 * venus d’autres instances, fusionnés dans fr.ts. homeSignIn.en.ts a les mêmes clés.
 */
import type { homeSignInEn } from './homeSignIn.en';

export const homeSignInFr: Record<keyof typeof homeSignInEn, string> = {
  'home_sign_in.title': 'Se connecter avec mon instance',
  'home_sign_in.intro':
    'Vous avez un compte sur une autre instance Maille ? Connectez-vous avec : votre instance vous demande de confirmer, puis vous travaillez ici sous votre propre nom.',
  'home_sign_in.handle': 'Votre adresse',
  'home_sign_in.handle_hint': 'Écrivez-la sous la forme @nom@hôte, par exemple @camille@maille.exemple.org.',
  'home_sign_in.submit': 'Continuer avec mon instance',
  'home_sign_in.invalid_handle': 'Écrivez l’adresse sous la forme @nom@hôte.',
  'home_sign_in.not_found':
    'Ce compte est introuvable, ou son instance ne permet pas de se connecter ailleurs. Vérifiez l’adresse.',

  'home_sign_in.authorize.title': 'Se connecter ailleurs',
  'home_sign_in.authorize.question': 'Se connecter à {instance} en tant que {handle} ?',
  'home_sign_in.authorize.explain':
    '{instance} vous connaîtra par cette adresse et votre nom. Elle ne recevra ni votre mot de passe ni votre adresse électronique.',
  'home_sign_in.authorize.other_account':
    '{instance} a demandé le compte {handle}, qui n’est pas celui avec lequel vous êtes connecté·e ici. Déconnectez-vous et connectez-vous avec ce compte, ou annulez.',
  'home_sign_in.authorize.confirm': 'Oui, me connecter à {instance}',
  'home_sign_in.authorize.cancel': 'Annuler',
  'home_sign_in.authorize.incomplete': 'Ce lien est incomplet. Recommencez depuis l’autre instance.',

  'home_sign_in.finish.title': 'Connexion',
  'home_sign_in.finish.missing': 'Cette page doit être ouverte par votre instance d’origine. Recommencez depuis la page de connexion.',
  'home_sign_in.finish.again': 'Retour à la page de connexion',

  'home_sign_in.member.title': 'Ajouter une personne d’une autre instance',
  'home_sign_in.member.intro':
    'Les personnes qui ont un compte sur une autre instance Maille deviennent membres par leur adresse ; elles ouvrent les pads et les salles de visio de l’espace en se connectant ici avec leur instance d’origine.',
  'home_sign_in.member.submit': 'Ajouter',
  'home_sign_in.member.added': '{handle} est maintenant membre.',
  'home_sign_in.member.not_found': 'Ce compte est introuvable sur son instance. Vérifiez l’adresse.',

  'error.sign_in_refused': 'La connexion avec votre instance d’origine n’a pas pu être vérifiée. Recommencez.',
};
