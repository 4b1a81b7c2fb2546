//! Turns a record's XML elements into typed fields, collecting a warning (located at
//! the element's line) for each value that cannot be read.

use chrono::NaiveDate;

use crate::codes::Pays;
use crate::detect::FileKind;
use crate::error::{Location, Warning, WarningEffect, Warnings};
use crate::text::{excerpt, non_empty, parse_bool, parse_date};
use crate::types::{Adresse, fix_code_len};
use crate::xml::Node;

/// Turns one record's elements into typed fields, pushing warnings located at the
/// element's line.
pub(crate) struct Fields<'a> {
    pub kind: FileKind,
    pub node: &'a Node,
    pub record: String,
    pub warnings: &'a mut Warnings,
}

impl<'a> Fields<'a> {
    pub(crate) fn new(
        kind: FileKind,
        node: &'a Node,
        record: String,
        warnings: &'a mut Warnings,
    ) -> Self {
        Fields {
            kind,
            node,
            record,
            warnings,
        }
    }

    fn line_of(&self, name: &str) -> u64 {
        self.node
            .child(name)
            .map(|c| c.line)
            .unwrap_or(self.node.line)
    }

    pub(crate) fn warn(&mut self, field: &str, message: String, effect: WarningEffect) {
        let line = self.line_of(field);
        self.warnings.push(Warning {
            kind: self.kind,
            location: Location::Xml { line, column: None },
            record: Some(self.record.clone()),
            field: Some(field.to_string()),
            message,
            effect,
        });
    }

    /// A child element's trimmed text, or the attribute of the same name.
    pub(crate) fn text(&self, name: &str) -> Option<String> {
        self.node
            .child(name)
            .and_then(|c| non_empty(&c.text))
            .or_else(|| self.node.attr(name).and_then(non_empty))
    }

    /// A mandatory text: a missing one is a warning.
    pub(crate) fn required(&mut self, name: &str, effect: WarningEffect) -> Option<String> {
        let v = self.text(name);
        if v.is_none() {
            self.warn(name, "champ obligatoire absent".into(), effect);
        }
        v
    }

    pub(crate) fn date(&mut self, name: &str) -> Option<NaiveDate> {
        let raw = self.text(name)?;
        let d = parse_date(&raw);
        if d.is_none() {
            self.warn(
                name,
                format!("date invalide « {} »", excerpt(&raw)),
                WarningEffect::FieldIgnored,
            );
        }
        d
    }

    pub(crate) fn boolean(&mut self, name: &str) -> Option<bool> {
        let raw = self.text(name)?;
        let b = parse_bool(&raw);
        if b.is_none() {
            self.warn(
                name,
                format!("valeur oui/non invalide « {} »", excerpt(&raw)),
                WarningEffect::FieldIgnored,
            );
        }
        b
    }

    pub(crate) fn number<T: std::str::FromStr>(&mut self, name: &str) -> Option<T> {
        let raw = self.text(name)?;
        let n = raw.parse().ok();
        if n.is_none() {
            self.warn(
                name,
                format!("nombre invalide « {} »", excerpt(&raw)),
                WarningEffect::FieldIgnored,
            );
        }
        n
    }

    pub(crate) fn decimal(&mut self, name: &str) -> Option<f64> {
        let raw = self.text(name)?;
        let n = raw
            .replace(',', ".")
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite());
        if n.is_none() {
            self.warn(
                name,
                format!("nombre invalide « {} »", excerpt(&raw)),
                WarningEffect::FieldIgnored,
            );
        }
        n
    }

    /// A code of a list; unknown codes are kept and warned about.
    pub(crate) fn code<T>(
        &mut self,
        name: &str,
        what: &str,
        from: fn(&str) -> T,
        known: fn(&T) -> bool,
    ) -> Option<T> {
        let raw = self.text(name)?;
        let v = from(&raw);
        if !known(&v) {
            self.warn(
                name,
                format!("{what} inconnu « {} »", excerpt(&raw)),
                WarningEffect::KeptAsIs,
            );
        }
        Some(v)
    }

    pub(crate) fn pays(&mut self, name: &str) -> Option<Pays> {
        self.code(name, "code pays", Pays::from_code, Pays::is_known)
    }

    /// A digits-only code of a fixed length (postcode, commune…): a shorter numeric
    /// value gets its leading zeros back, anything else is kept with a warning.
    pub(crate) fn fixed_code(&mut self, name: &str, len: usize) -> Option<String> {
        let raw = self.text(name)?;
        Some(fix_code_len(&raw, len).unwrap_or_else(|| {
            self.warn(
                name,
                format!("code de {len} caractères attendu, « {} » lu", excerpt(&raw)),
                WarningEffect::KeptAsIs,
            );
            raw
        }))
    }

    /// An identifier (ELEVE_ID, PERSONNE_ID, ADRESSE_ID…): a positive integer.
    pub(crate) fn id(&mut self, name: &str, effect: WarningEffect) -> Option<u64> {
        let Some(raw) = self.text(name) else {
            self.warn(name, "identifiant absent".into(), effect);
            return None;
        };
        let id = raw.parse::<u64>().ok();
        if id.is_none() {
            self.warn(
                name,
                format!("identifiant invalide « {} »", excerpt(&raw)),
                effect,
            );
        }
        id
    }

    pub(crate) fn adresse(&mut self) -> Option<Adresse> {
        let adresse_id = self.id("ADRESSE_ID", WarningEffect::RecordSkipped)?;
        let lignes = [
            self.text("LIGNE1_ADRESSE"),
            self.text("LIGNE2_ADRESSE"),
            self.text("LIGNE3_ADRESSE"),
            self.text("LIGNE4_ADRESSE"),
        ];
        Some(Adresse {
            adresse_id,
            lignes,
            boite_postale: self.text("BOITE_POSTALE"),
            code_postal: self.fixed_code("CODE_POSTAL", 5),
            libelle_postal: self.text("LIBELLE_POSTAL"),
            code_commune_insee: self.text("CODE_COMMUNE_INSEE"),
            code_departement: self.text("CODE_DEPARTEMENT"),
            commune_etrangere: self.text("COMMUNE_ETRANGERE"),
            code_pays: self.pays("CODE_PAYS"),
            ll_pays: self.text("LL_PAYS"),
        })
    }
}
