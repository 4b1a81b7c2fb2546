// html-validate configuration for the browser tests (validate-html.mjs).
//
// The recommended preset. Only a rule that conflicts with the markup the DSFR
// (Système de design de l'État) itself prescribes may be turned off, with the
// reason, here and in docs/CI.md ("Valid HTML"). None is turned off here.
//
// One rule is configured, not turned off: form-dup-name lets checkboxes share
// a name, as radios do. A list of checkboxes under one name is plain HTML
// forms (the dossier list's selection sends `dossier=34&dossier=58`); the
// preset only shares radios and buttons by default.
//
// One rule is turned off at one element, by a directive in the template
// rather than here, so that it still applies everywhere else:
// - aria-label-misuse, on the header's menu <div class="fr-header__menu
//   fr-modal" aria-labelledby="button-menu"> (templates/layout.html): that is
//   the DSFR's header markup; the DSFR's script makes the div a dialog when
//   the menu opens on a phone, and the label names that dialog.
export default {
  extends: ["html-validate:recommended"],
  rules: {
    "form-dup-name": ["error", { shared: ["radio", "checkbox", "button", "reset", "submit"] }],
  },
};
