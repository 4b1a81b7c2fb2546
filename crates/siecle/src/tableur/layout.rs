//! The header row: which column holds which field, matched by name after folding.

use std::collections::HashMap;

use calamine::Data;

use super::cells::cell_text;
use crate::text::fold_key;

/// Where a column's data goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Scope {
    Eleve,
    Option(u8),
    Representant(u8),
}

const REQUIRED: &[(&str, &str)] = &[
    ("nom", "Nom de famille"),
    ("prenom", "Prénom"),
    ("date_naiss", "Date Naissance"),
    ("ine", "Id National"),
];

fn pupil_field(key: &str) -> Option<&'static str> {
    Some(match key {
        "sexe" | "sexe m f" => "sexe",
        "pays nat" | "nationalite" | "pays nationalite" => "pays_nat",
        "eleve no etab" | "eleve n etab" | "elenoet" => "elenoet",
        "num eleve etab" | "numero eleve etab" => "num_eleve_etab",
        "nom de famille" | "nom" => "nom",
        "nom d usage" => "nom_usage",
        "prenom" | "prenom 1" => "prenom",
        "prenom 2" => "prenom2",
        "prenom 3" => "prenom3",
        "date naissance" | "date de naissance" => "date_naiss",
        "doublement" | "redoublement" => "doublement",
        "id national" | "ine" | "identifiant national" => "ine",
        "date entree" => "date_entree",
        "date sortie" => "date_sortie",
        "adhesion transport" => "adhesion_transport",
        "date modification" => "date_modification",
        "ville naiss etrangere" | "ville naissance etrangere" => "ville_naiss_etrangere",
        "commune naiss" | "commune naissance" => "commune_naiss",
        "pays naiss" | "pays naissance" => "pays_naiss",
        "code regime" => "code_regime",
        "lib regime" => "lib_regime",
        "motif sortie" => "motif_sortie",
        "code mef" => "code_mef",
        "lib mef" => "lib_mef",
        "code structure" => "code_structure",
        "type structure" => "type_structure",
        "lib structure" => "lib_structure",
        "tel personnel" => "tel_personnel",
        "tel professionnel" => "tel_professionnel",
        "tel portable" => "tel_portable",
        "email" | "mel" | "courriel" => "email",
        "ligne adresse 1" => "ligne1",
        "ligne adresse 2" => "ligne2",
        "ligne adresse 3" => "ligne3",
        "ligne adresse 4" => "ligne4",
        "lib postal" => "lib_postal",
        "code postal" => "code_postal",
        "departement" | "code departement" => "departement",
        "commune etrangere" => "commune_etrangere",
        "pays" => "pays",
        _ => return None,
    })
}

fn guardian_field(key: &str) -> Option<&'static str> {
    Some(match key {
        "civilite" => "civilite",
        "nom de famille" | "nom" => "nom",
        "nom d usage" => "nom_usage",
        "prenom" => "prenom",
        "tel personnel" => "tel_personnel",
        "lien parente" => "lien_parente",
        "tel portable" => "tel_portable",
        "tel professionnel" => "tel_professionnel",
        "email" | "mel" | "courriel" => "email",
        "communication adresse postale et courriel" | "communication adresse" => {
            "communication_adresse"
        }
        "ligne adresse 1" => "ligne1",
        "ligne adresse 2" => "ligne2",
        "ligne adresse 3" => "ligne3",
        "ligne adresse 4" => "ligne4",
        "lib postal" => "lib_postal",
        "code postal" => "code_postal",
        "code departement" | "departement" => "departement",
        "commune etrangere" => "commune_etrangere",
        "pays" => "pays",
        _ => return None,
    })
}

fn option_field(key: &str) -> Option<(&'static str, Option<u8>)> {
    const BASES: &[(&str, &str)] = &[
        ("cle gestion mat enseignee", "cle_gestion"),
        ("lib mat enseignee", "libelle"),
        ("code modalite elect", "modalite"),
        ("lib modalite elect", "lib_modalite"),
    ];
    for (base, field) in BASES {
        if let Some(rest) = key.strip_prefix(base) {
            let rest = rest.trim();
            if rest.is_empty() {
                return Some((field, None));
            }
            if let Ok(n) = rest.parse::<u8>()
                && (1..=12).contains(&n)
            {
                return Some((field, Some(n)));
            }
        }
    }
    None
}

/// The column layout found in the header row.
#[derive(Debug, Default)]
pub(super) struct Layout {
    pub(super) columns: HashMap<(Scope, &'static str), usize>,
    pub(super) ignored: Vec<String>,
    pub(super) pupil_fields: usize,
}

impl Layout {
    pub(super) fn from_header(row: &[Data]) -> Layout {
        let mut layout = Layout::default();
        let mut guardian_seen: HashMap<&'static str, u8> = HashMap::new();
        let mut option_seen: HashMap<&'static str, u8> = HashMap::new();
        for (col, cell) in row.iter().enumerate() {
            let Some(header) = cell_text(cell) else {
                continue;
            };
            let key = fold_key(&header);
            let target = if let Some(pos) = ["repr leg", "representant legal", "resp leg"]
                .iter()
                .find_map(|m| key.find(m).map(|p| (p, m.len())))
            {
                let (p, len) = pos;
                let mut base = key[..p].trim().to_string();
                let suffix = key[p + len..].trim();
                let mut explicit = match suffix {
                    "1" => Some(1),
                    "2" => Some(2),
                    _ => None,
                };
                if let Some(b) = base.strip_suffix(" autre") {
                    base = b.to_string();
                    explicit = Some(2);
                }
                guardian_field(&base).map(|f| {
                    let rank = explicit.unwrap_or_else(|| {
                        let n = guardian_seen.entry(f).or_insert(0);
                        *n += 1;
                        *n
                    });
                    (Scope::Representant(rank), f)
                })
            } else if let Some((f, n)) = option_field(&key) {
                let n = n.unwrap_or_else(|| {
                    let c = option_seen.entry(f).or_insert(0);
                    *c += 1;
                    *c
                });
                Some((Scope::Option(n), f))
            } else {
                pupil_field(&key).map(|f| (Scope::Eleve, f))
            };
            match target {
                Some(t)
                    if !layout.columns.contains_key(&t)
                        && matches!(
                            t.0,
                            Scope::Representant(1 | 2) | Scope::Option(1..=12) | Scope::Eleve
                        ) =>
                {
                    if t.0 == Scope::Eleve {
                        layout.pupil_fields += 1;
                    }
                    layout.columns.insert(t, col);
                }
                _ => layout.ignored.push(header),
            }
        }
        layout
    }

    pub(super) fn missing(&self) -> Vec<String> {
        REQUIRED
            .iter()
            .filter(|(f, _)| !self.columns.contains_key(&(Scope::Eleve, *f)))
            .map(|(_, label)| label.to_string())
            .collect()
    }
}

pub(super) fn header_name(scope: Scope, field: &str) -> String {
    let base = match field {
        "sexe" => "Sexe",
        "pays_nat" => "Pays Nat.",
        "nom" => "Nom de famille",
        "prenom" => "Prénom",
        "date_naiss" => "Date Naissance",
        "ine" => "Id National",
        "date_entree" => "Date Entrée",
        "date_sortie" => "Date Sortie",
        "date_modification" => "Date Modification",
        "code_regime" => "Code Régime",
        "code_mef" => "Code MEF",
        "code_postal" => "Code Postal",
        "departement" => "Département",
        "civilite" => "Civilité",
        "lien_parente" => "Lien Parenté",
        "num_eleve_etab" => "Num. Elève Etab",
        "type_structure" => "Type Structure",
        "modalite" => "Code Modalité Elect.",
        other => other,
    };
    match scope {
        Scope::Eleve => base.to_string(),
        Scope::Option(n) => format!("{base} {n}"),
        Scope::Representant(n) => format!("{base} Repr. Lég. {n}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_variants_are_resolved() {
        let headers = [
            "Nom de famille",
            "Prénom",
            "Date Naissance ",
            "Id\u{a0}National",
            "Civilité Repr. Lég. ",
            "Civilité Repr. Lég. ",
            "Nom de famille Autre Repr. Lég.",
            "Nom de famille Repr. Lég. 1",
            "CLÉ GESTION MAT. ENSEIGNÉE 3",
            "Ligne Adresse 2",
            "Ligne Adresse 2",
            "Colonne inconnue",
        ];
        let row: Vec<Data> = headers
            .iter()
            .map(|h| Data::String(h.to_string()))
            .collect();
        let layout = Layout::from_header(&row);
        assert_eq!(layout.columns[&(Scope::Eleve, "date_naiss")], 2);
        assert_eq!(layout.columns[&(Scope::Eleve, "ine")], 3);
        assert_eq!(layout.columns[&(Scope::Representant(1), "civilite")], 4);
        assert_eq!(layout.columns[&(Scope::Representant(2), "civilite")], 5);
        assert_eq!(layout.columns[&(Scope::Representant(2), "nom")], 6);
        assert_eq!(layout.columns[&(Scope::Representant(1), "nom")], 7);
        assert_eq!(layout.columns[&(Scope::Option(3), "cle_gestion")], 8);
        assert_eq!(layout.columns[&(Scope::Eleve, "ligne2")], 9);
        assert_eq!(
            layout.ignored,
            vec![
                "Ligne Adresse 2".to_string(),
                "Colonne inconnue".to_string()
            ]
        );
        assert!(layout.missing().is_empty());
    }
}
