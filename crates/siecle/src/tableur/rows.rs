//! One data row of the sheet read into a pupil and their guardians, with a warning
//! (naming the column by its header) for each value that cannot be read.

use calamine::Data;
use chrono::NaiveDate;

use super::cells::{cell_date, cell_text};
use super::layout::{Layout, Scope, header_name};
use super::records::{
    AdresseTableur, EleveTableur, OptionTableur, RepresentantTableur, StructureTableur,
};
use crate::codes::{
    Civilite, ModaliteElection, Nationalite, Parente, Pays, Regime, Sexe, TypeStructure,
};
use crate::detect::FileKind;
use crate::error::{Location, Warning, WarningEffect, Warnings};
use crate::text::{excerpt, parse_bool};
use crate::types::{Ine, fix_code_len};

pub(super) struct RowReader<'a> {
    pub(super) row: &'a [Data],
    pub(super) layout: &'a Layout,
    pub(super) line: u32,
    pub(super) kind: FileKind,
    pub(super) record: String,
    pub(super) warnings: &'a mut Warnings,
}

impl RowReader<'_> {
    fn cell(&self, scope: Scope, field: &'static str) -> Option<&Data> {
        self.layout
            .columns
            .get(&(scope, field))
            .and_then(|&c| self.row.get(c))
    }

    fn warn(&mut self, scope: Scope, field: &str, message: String, effect: WarningEffect) {
        self.warnings.push(Warning {
            kind: self.kind,
            location: Location::Row(self.line),
            record: Some(self.record.clone()),
            field: Some(header_name(scope, field)),
            message,
            effect,
        });
    }

    fn text(&self, scope: Scope, field: &'static str) -> Option<String> {
        self.cell(scope, field).and_then(cell_text)
    }

    fn fixed(&mut self, scope: Scope, field: &'static str, len: usize) -> Option<String> {
        let raw = self.text(scope, field)?;
        Some(fix_code_len(&raw, len).unwrap_or_else(|| {
            self.warn(
                scope,
                field,
                format!("code de {len} caractères attendu, « {} » lu", excerpt(&raw)),
                WarningEffect::KeptAsIs,
            );
            raw
        }))
    }

    fn phone(&self, scope: Scope, field: &'static str) -> Option<String> {
        let cell = self.cell(scope, field)?;
        let text = cell_text(cell)?;
        // A French number typed as a number lost its leading zero.
        if matches!(cell, Data::Float(_) | Data::Int(_))
            && text.len() == 9
            && text.bytes().all(|b| b.is_ascii_digit())
        {
            return Some(format!("0{text}"));
        }
        Some(text)
    }

    fn date(&mut self, scope: Scope, field: &'static str) -> Option<NaiveDate> {
        let cell = self.cell(scope, field)?.clone();
        match cell_date(&cell) {
            Ok(d) => d,
            Err(raw) => {
                self.warn(
                    scope,
                    field,
                    format!("date invalide « {} »", excerpt(&raw)),
                    WarningEffect::FieldIgnored,
                );
                None
            }
        }
    }

    fn boolean(&mut self, scope: Scope, field: &'static str) -> Option<bool> {
        let raw = self.text(scope, field)?;
        let b = parse_bool(&raw);
        if b.is_none() {
            self.warn(
                scope,
                field,
                format!("valeur oui/non invalide « {} »", excerpt(&raw)),
                WarningEffect::FieldIgnored,
            );
        }
        b
    }

    fn adresse(&mut self, scope: Scope) -> AdresseTableur {
        AdresseTableur {
            lignes: [
                self.text(scope, "ligne1"),
                self.text(scope, "ligne2"),
                self.text(scope, "ligne3"),
                self.text(scope, "ligne4"),
            ],
            lib_postal: self.text(scope, "lib_postal"),
            code_postal: self.fixed(scope, "code_postal", 5),
            departement: self.fixed(scope, "departement", 3),
            commune_etrangere: self.text(scope, "commune_etrangere"),
            pays: self.text(scope, "pays"),
        }
    }

    fn representant(&mut self, rang: u8) -> Option<RepresentantTableur> {
        let s = Scope::Representant(rang);
        let civilite_raw = self.text(s, "civilite");
        let civilite = civilite_raw.as_deref().and_then(Civilite::from_label);
        if let (Some(raw), None) = (&civilite_raw, &civilite) {
            self.warn(
                s,
                "civilite",
                format!("civilité inconnue « {} »", excerpt(raw)),
                WarningEffect::FieldIgnored,
            );
        }
        let lien_raw = self.text(s, "lien_parente");
        let lien_parente = lien_raw.as_deref().and_then(|l| {
            Parente::from_label(l).or_else(|| {
                let p = Parente::from_code(l);
                p.is_known().then_some(p)
            })
        });
        if let (Some(raw), None) = (&lien_raw, &lien_parente) {
            self.warn(
                s,
                "lien_parente",
                format!("lien de parenté inconnu « {} »", excerpt(raw)),
                WarningEffect::KeptAsIs,
            );
        }
        let r = RepresentantTableur {
            rang,
            civilite,
            nom_de_famille: self.text(s, "nom"),
            nom_usage: self.text(s, "nom_usage"),
            prenom: self.text(s, "prenom"),
            lien_parente,
            lien_parente_libelle: lien_raw,
            tel_personnel: self.phone(s, "tel_personnel"),
            tel_portable: self.phone(s, "tel_portable"),
            tel_professionnel: self.phone(s, "tel_professionnel"),
            email: self.text(s, "email"),
            communication_adresse: self.boolean(s, "communication_adresse"),
            adresse: self.adresse(s),
        };
        let empty = RepresentantTableur {
            rang,
            ..Default::default()
        };
        if r == empty
            || (r.nom_de_famille.is_none()
                && r.prenom.is_none()
                && r.adresse.is_empty()
                && r.email.is_none())
        {
            None
        } else {
            Some(r)
        }
    }

    pub(super) fn eleve(&mut self) -> Option<EleveTableur> {
        let e = Scope::Eleve;
        let nom = self.text(e, "nom");
        let prenom = self.text(e, "prenom");
        let (nom_de_famille, prenom) = match (nom, prenom) {
            (Some(n), Some(p)) => (n, p),
            (n, _) => {
                let field = if n.is_none() { "nom" } else { "prenom" };
                self.warn(
                    e,
                    field,
                    "champ obligatoire absent".into(),
                    WarningEffect::RecordSkipped,
                );
                return None;
            }
        };
        self.record = format!("élève {prenom} {nom_de_famille}");
        let id_national = match self.text(e, "ine") {
            None => {
                self.warn(e, "ine", "INE absent".into(), WarningEffect::KeptAsIs);
                None
            }
            Some(raw) => {
                let ine = Ine::parse(&raw);
                if ine.is_none() {
                    self.warn(
                        e,
                        "ine",
                        format!("INE invalide « {} »", excerpt(&raw)),
                        WarningEffect::FieldIgnored,
                    );
                }
                ine
            }
        };
        let date_naiss = self.date(e, "date_naiss");
        let sexe_raw = self.text(e, "sexe");
        let sexe = sexe_raw.as_deref().and_then(Sexe::from_letter);
        if let (Some(raw), None) = (&sexe_raw, &sexe) {
            self.warn(
                e,
                "sexe",
                format!("sexe inconnu « {} »", excerpt(raw)),
                WarningEffect::FieldIgnored,
            );
        }
        let pays_nat = self.text(e, "pays_nat");
        let nationalite = pays_nat.as_deref().and_then(Nationalite::from_label);
        if let (Some(raw), None) = (&pays_nat, &nationalite) {
            self.warn(
                e,
                "pays_nat",
                format!("pays de nationalité inconnu « {} »", excerpt(raw)),
                WarningEffect::KeptAsIs,
            );
        }
        let pays_naiss = self.text(e, "pays_naiss");
        let code_pays_naiss = pays_naiss.as_deref().and_then(Pays::from_label);
        let code_regime = self.text(e, "code_regime").map(|c| {
            let r = Regime::from_code(&c);
            if !r.is_known() {
                self.warn(
                    e,
                    "code_regime",
                    format!("code régime inconnu « {} »", excerpt(&c)),
                    WarningEffect::KeptAsIs,
                );
            }
            r
        });
        let code_mef = self.fixed(e, "code_mef", 11);
        let structures = match self.text(e, "code_structure") {
            Some(code_structure) => {
                let type_structure = self
                    .text(e, "type_structure")
                    .map(|t| TypeStructure::from_code(&t.to_uppercase()));
                vec![StructureTableur {
                    code_structure,
                    type_structure,
                    lib_structure: self.text(e, "lib_structure"),
                }]
            }
            None => Vec::new(),
        };
        let mut options = Vec::new();
        for n in 1..=12u8 {
            let s = Scope::Option(n);
            if let Some(cle_gestion) = self.text(s, "cle_gestion") {
                options.push(OptionTableur {
                    cle_gestion,
                    libelle: self.text(s, "libelle"),
                    code_modalite_elect: self
                        .text(s, "modalite")
                        .map(|m| ModaliteElection::from_code(&m.to_uppercase())),
                });
            }
        }
        let representants = (1..=2).filter_map(|r| self.representant(r)).collect();
        Some(EleveTableur {
            lignes: vec![self.line],
            sexe,
            pays_nat,
            nationalite,
            elenoet: self.text(e, "elenoet"),
            num_eleve_etab: self.fixed(e, "num_eleve_etab", 11),
            nom_de_famille,
            nom_usage: self.text(e, "nom_usage"),
            prenom,
            prenom2: self.text(e, "prenom2"),
            prenom3: self.text(e, "prenom3"),
            date_naiss,
            doublement: self.boolean(e, "doublement"),
            id_national,
            date_entree: self.date(e, "date_entree"),
            date_sortie: self.date(e, "date_sortie"),
            date_modification: self.date(e, "date_modification"),
            adhesion_transport: self.boolean(e, "adhesion_transport"),
            ville_naiss_etrangere: self.text(e, "ville_naiss_etrangere"),
            commune_naiss: self.text(e, "commune_naiss"),
            pays_naiss,
            code_pays_naiss,
            code_regime,
            lib_regime: self.text(e, "lib_regime"),
            motif_sortie: self.text(e, "motif_sortie"),
            code_mef,
            lib_mef: self.text(e, "lib_mef"),
            structures,
            options,
            tel_personnel: self.phone(e, "tel_personnel"),
            tel_professionnel: self.phone(e, "tel_professionnel"),
            tel_portable: self.phone(e, "tel_portable"),
            email: self.text(e, "email"),
            adresse: self.adresse(e),
            representants,
        })
    }
}
