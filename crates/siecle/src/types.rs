//! Types shared by every export: PARAMETRES, UAI and INE identifiers, addresses, and
//! the helpers that turn a record's elements into typed fields while collecting
//! warnings.

use std::fmt;

use chrono::{NaiveDate, NaiveDateTime};

use crate::codes::Pays;
use crate::detect::FileKind;
use crate::error::{ErrorReason, Location, SiecleError, Warning, WarningEffect, Warnings};
use crate::text::{excerpt, non_empty, parse_bool, parse_date};
use crate::xml::Node;

/// An UAI (« unité administrative immatriculée », called UAJ or RNE in SIECLE):
/// seven digits and a check letter, e.g. `0752387M`.
///
/// The letter is `"ABCDEFGHJKLMNPRSTUVWXYZ"[n % 23]` where `n` is the number made of
/// the seven digits (the alphabet has no I, O or Q).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Uai(String);

const UAI_LETTERS: &[u8; 23] = b"ABCDEFGHJKLMNPRSTUVWXYZ";

impl Uai {
    /// Parses an UAI (case and surrounding spaces ignored). The check letter is not
    /// verified here (see [`Uai::has_valid_check_letter`]); the shape is.
    pub fn parse(s: &str) -> Option<Uai> {
        let s = s.trim().to_ascii_uppercase();
        let b = s.as_bytes();
        if b.len() == 8 && b[..7].iter().all(u8::is_ascii_digit) && b[7].is_ascii_uppercase() {
            Some(Uai(s))
        } else {
            None
        }
    }

    /// Builds the UAI for seven digits, computing the check letter.
    pub fn from_digits(n: u32) -> Option<Uai> {
        if n > 9_999_999 {
            return None;
        }
        Some(Uai(format!("{n:07}{}", Uai::check_letter(n) as char)))
    }

    /// The check letter of a seven-digit number.
    pub fn check_letter(n: u32) -> u8 {
        UAI_LETTERS[(n % 23) as usize]
    }

    /// Whether the letter matches the digits.
    pub fn has_valid_check_letter(&self) -> bool {
        if self.0.len() != 8 {
            return false;
        }
        let digits: u32 = self.0[..7].parse().unwrap_or(0);
        self.0.as_bytes()[7] == Uai::check_letter(digits)
    }

    /// The UAI as written (upper case).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Uai {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An INE (« identifiant national élève », ID_NATIONAL): 11 characters, digits and
/// upper-case letters. Two shapes are in use: 9 digits + 2 letters (INE-RNIE, e.g.
/// `070832327JA`) and 10 characters + 1 letter (INE-BEA, e.g. `0113014881M`). The key
/// algorithms are not published in the material we have, so only the shape is checked.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ine(String);

impl Ine {
    /// Parses an INE (upper-cased, spaces removed). `None` if it is not 11 ASCII
    /// letters or digits with at least one digit.
    pub fn parse(s: &str) -> Option<Ine> {
        let s: String = s
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_uppercase();
        if s.len() == 11
            && s.bytes().all(|b| b.is_ascii_alphanumeric())
            && s.bytes().any(|b| b.is_ascii_digit())
        {
            Some(Ine(s))
        } else {
            None
        }
    }

    /// The INE as written (upper case).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Ine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The PARAMETRES block every export starts with.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Parametres {
    /// The school (PARAMETRES/UAJ). Compare it with the school importing the file.
    pub uaj: Option<Uai>,
    /// School year (its starting year: 2019 for 2019-2020).
    pub annee_scolaire: Option<u16>,
    /// DATE_EXPORT.
    pub date_export: Option<NaiveDate>,
    /// HORODATAGE.
    pub horodatage: Option<NaiveDateTime>,
    /// The VERSION attribute of the root element.
    pub version: Option<String>,
}

impl Parametres {
    /// The UAJ; always present once a reader has been opened.
    pub fn uaj(&self) -> &Uai {
        // Readers refuse files without an UAJ, so this only fails on a hand-built value.
        self.uaj.as_ref().unwrap_or(&EMPTY_UAI)
    }

    pub(crate) fn from_node(
        node: &Node,
        kind: FileKind,
        version: Option<String>,
    ) -> Result<Self, SiecleError> {
        let location = Location::Xml {
            line: node.line,
            column: None,
        };
        let uaj_text = node.child("UAJ").and_then(|n| non_empty(&n.text));
        let Some(uaj_text) = uaj_text else {
            return Err(SiecleError::new(kind, ErrorReason::MissingUaj)
                .at(location)
                .element("UAJ"));
        };
        let Some(uaj) = Uai::parse(&uaj_text) else {
            return Err(
                SiecleError::new(kind, ErrorReason::InvalidUaj(excerpt(&uaj_text)))
                    .at(location)
                    .element("UAJ"),
            );
        };
        let text = |name: &str| node.child(name).and_then(|n| non_empty(&n.text));
        Ok(Parametres {
            uaj: Some(uaj),
            annee_scolaire: text("ANNEE_SCOLAIRE").and_then(|s| s.parse().ok()),
            date_export: text("DATE_EXPORT").and_then(|s| parse_date(&s)),
            horodatage: text("HORODATAGE").and_then(|s| crate::text::parse_datetime(&s)),
            version,
        })
    }
}

static EMPTY_UAI: Uai = Uai(String::new());

/// An address (ADRESSES/ADRESSE), shared by pupils and persons through ADRESSE_ID.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Adresse {
    /// ADRESSE_ID, referenced by ELEVE/ADRESSE_ID and PERSONNE/ADRESSE_ID.
    pub adresse_id: u64,
    /// LIGNE1_ADRESSE … LIGNE4_ADRESSE (38 characters each).
    pub lignes: [Option<String>; 4],
    /// BOITE_POSTALE.
    pub boite_postale: Option<String>,
    /// CODE_POSTAL (5 characters, leading zero kept).
    pub code_postal: Option<String>,
    /// LIBELLE_POSTAL (the town as La Poste writes it).
    pub libelle_postal: Option<String>,
    /// CODE_COMMUNE_INSEE.
    pub code_commune_insee: Option<String>,
    /// CODE_DEPARTEMENT.
    pub code_departement: Option<String>,
    /// COMMUNE_ETRANGERE (town abroad).
    pub commune_etrangere: Option<String>,
    /// CODE_PAYS.
    pub code_pays: Option<Pays>,
    /// LL_PAYS.
    pub ll_pays: Option<String>,
}

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

/// Restores the leading zeros of a numeric code read as a number (« 1001 » → « 01001 »).
/// `None` if the value is not digits of at most `len` characters.
pub(crate) fn fix_code_len(raw: &str, len: usize) -> Option<String> {
    let digits = raw.strip_suffix(".0").unwrap_or(raw);
    if digits.len() == len {
        return Some(digits.to_string());
    }
    if !digits.is_empty() && digits.len() < len && digits.bytes().all(|b| b.is_ascii_digit()) {
        return Some(format!("{digits:0>len$}"));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uai_check_letters_match_real_schools() {
        for real in ["0752387M", "0140070A", "0750680G"] {
            let uai = Uai::parse(real).unwrap();
            assert!(uai.has_valid_check_letter(), "{real}");
            let digits: u32 = real[..7].parse().unwrap();
            assert_eq!(Uai::from_digits(digits).unwrap().as_str(), real);
        }
        assert!(!Uai::parse("0752387A").unwrap().has_valid_check_letter());
        assert_eq!(Uai::parse("0752387m").unwrap().as_str(), "0752387M");
        assert!(Uai::parse("752387M").is_none());
        assert!(Uai::parse("07523870").is_none());
        assert!(
            !UAI_LETTERS.contains(&b'I')
                && !UAI_LETTERS.contains(&b'O')
                && !UAI_LETTERS.contains(&b'Q')
        );
    }

    #[test]
    fn ine_shapes() {
        assert_eq!(Ine::parse("070832327ja").unwrap().as_str(), "070832327JA");
        assert!(Ine::parse("0113014881M").is_some());
        assert!(Ine::parse("07083232").is_none());
        assert!(Ine::parse("ABCDEFGHIJK").is_none());
        assert!(Ine::parse("070832327J-").is_none());
    }

    #[test]
    fn leading_zeros_are_restored() {
        assert_eq!(fix_code_len("1001", 5).as_deref(), Some("01001"));
        assert_eq!(fix_code_len("75017", 5).as_deref(), Some("75017"));
        assert_eq!(fix_code_len("2A004", 5).as_deref(), Some("2A004"));
        assert_eq!(fix_code_len("ABC", 5), None);
    }
}
