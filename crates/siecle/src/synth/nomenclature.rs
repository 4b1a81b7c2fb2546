//! The collège nomenclature of every synthetic school: its MEFs (6e→3e) and subjects.

/// The collège MEFs: code, FORMATION, LIBELLE_LONG, LIBELLE_EDITION, MEFSTAT.
pub(super) const MEFS: &[(&str, &str, &str, &str, &str)] = &[
    ("10010012110", "6EME", "6EME", "6ème", "21110010012"),
    ("10110001110", "5G", "5EME", "5ème", "21120010001"),
    ("10210001110", "4G", "4EME", "4ème", "21150010001"),
    ("10310019110", "3EME", "3EME", "3ème", "21160010019"),
];
pub(super) const MEF_CM2: &str = "00310002220";
/// Subjects: CODE_MATIERE, CODE_GESTION, LIBELLE_COURT, LIBELLE_LONG.
pub(super) const MATIERES: &[(&str, &str, &str, &str)] = &[
    ("020100", "FRANC", "FRANCAIS", "FRANCAIS"),
    ("061300", "MATHS", "MATHEMATIQUES", "MATHEMATIQUES"),
    ("030201", "AGL1", "ANGLAIS LV1", "ANGLAIS LV1"),
    ("030602", "ESP2", "ESPAGNOL LV2", "ESPAGNOL LV2"),
    ("030102", "ALL2", "ALLEMAND LV2", "ALLEMAND LV2"),
    (
        "020300",
        "LCALA",
        "LCA LATIN",
        "LANGUES ET CULTURES DE L'ANTIQUITE LATIN",
    ),
    (
        "020200",
        "LCAGR",
        "LCA GREC",
        "LANGUES ET CULTURES DE L'ANTIQUITE GREC",
    ),
];
