/**
 * English messages of signing in with one's home instance and of space members from other
 * instances, merged into en.ts. homeSignIn.fr.ts has the same keys.
 */
export const homeSignInEn = {
  'home_sign_in.title': 'Sign in with my home instance',
  'home_sign_in.intro':
    'Have an account on another Maille instance? Sign in with it: your instance asks you to confirm, then you work here under your own name.',
  'home_sign_in.handle': 'Your address',
  'home_sign_in.handle_hint': 'Write it as @name@host, for example @camille@maille.example.org.',
  'home_sign_in.submit': 'Continue with my instance',
  'home_sign_in.invalid_handle': 'Write the address as @name@host.',
  'home_sign_in.not_found':
    'This account could not be found, or its instance does not offer signing in elsewhere. Check the address.',

  'home_sign_in.authorize.title': 'Sign in elsewhere',
  'home_sign_in.authorize.question': 'Sign in to {instance} as {handle}?',
  'home_sign_in.authorize.explain':
    '{instance} will know you by this address and your name. It will not get your password or your email address.',
  'home_sign_in.authorize.other_account':
    '{instance} asked for the account {handle}, which is not the one you are logged in with here. Log out and log in with that account, or cancel.',
  'home_sign_in.authorize.confirm': 'Yes, sign in to {instance}',
  'home_sign_in.authorize.cancel': 'Cancel',
  'home_sign_in.authorize.incomplete': 'This link is incomplete. Start again from the other instance.',

  'home_sign_in.finish.title': 'Signing in',
  'home_sign_in.finish.missing': 'This page must be opened by your home instance. Start again from the login page.',
  'home_sign_in.finish.again': 'Back to the login page',

  'home_sign_in.member.title': 'Add someone from another instance',
  'home_sign_in.member.intro':
    'People with an account on another Maille instance become members by their address; they open the space’s pads and rooms by signing in here with their home instance.',
  'home_sign_in.member.submit': 'Add',
  'home_sign_in.member.added': '{handle} is now a member.',
  'home_sign_in.member.not_found':
    'This account could not be found on its instance. Check the address.',

  'error.sign_in_refused': 'The sign-in with your home instance could not be verified. Start again.',
} as const;
