//! The XML of the file, its name and its zip. Writing checks every value against what
//! schema 4.0 allows (lengths, shapes, counts, keys, links to persons of the file): a
//! value the schema would refuse is never written, the writer returns the problems
//! instead, in French. So any file it returns is valid against the schema.

use std::collections::HashSet;
use std::io::{Cursor, Write};

use chrono::{Datelike, NaiveDate, Timelike};

use super::latin9::{self, Unwritable};
use super::model::{
    Address, Birthplace, Grant, Link, LinkKind, Person, Phones, PreviousSchool, Pupil, ReturnFile,
    Town,
};
use super::problem::{Problem, Subject, field_label};

/// The schema version the file declares (VERSION) and is validated against.
pub const SCHEMA_VERSION: &str = "4.0";
/// PARAMETRES/LOGICIEL, identical on every send.
pub const SOFTWARE: &str = "DOSSIERSCO";
/// Largest NUM_ENVOI (entier5).
pub const SEND_NUMBER_MAX: u32 = 99_999;

/// What the writer refused: every problem found, not just the first.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("le fichier de retour vers SIECLE ne peut pas être produit : {} problème(s), dont « {} »", .problems.len(), .problems.first().map(|p| p.to_string()).unwrap_or_default())]
pub struct WriteError {
    /// The problems, all blocking.
    pub problems: Vec<Problem>,
}

/// The file name without extension: UAJ + `PRIVE` + school year + `AAMMJJhhmmss`
/// (24-hour clock), e.g. `0752387MPRIVE2019190828143005`.
pub fn file_name(file: &ReturnFile) -> String {
    let t = file.generated_at;
    format!(
        "{}PRIVE{:04}{:02}{:02}{:02}{:02}{:02}{:02}",
        file.uai.as_str(),
        file.school_year,
        t.year().rem_euclid(100),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Whether a name has the shape SIECLE requires: `^\d{7}[A-Z]PRIVE\d{16}$`.
pub fn is_valid_file_name(name: &str) -> bool {
    let b = name.as_bytes();
    b.len() == 29
        && b[..7].iter().all(u8::is_ascii_digit)
        && b[7].is_ascii_uppercase()
        && &b[8..13] == b"PRIVE"
        && b[13..].iter().all(u8::is_ascii_digit)
}

impl ReturnFile {
    /// The file name without extension (see [`file_name`]).
    pub fn file_name(&self) -> String {
        file_name(self)
    }

    /// The XML, in ISO-8859-15, or every problem that prevents writing it.
    pub fn to_xml(&self) -> Result<Vec<u8>, WriteError> {
        let mut out = Out::default();
        out.file(self);
        if out.problems.is_empty() {
            Ok(latin9::encode(&out.buf))
        } else {
            Err(WriteError {
                problems: out.problems,
            })
        }
    }

    /// The zip SIECLE takes: `<name>.zip` holding `<name>.xml` alone, at its root.
    /// Returns the zip's file name and bytes.
    pub fn to_zip(&self) -> Result<(String, Vec<u8>), WriteError> {
        let xml = self.to_xml()?;
        let name = self.file_name();
        let zip =
            zip_one(&format!("{name}.xml"), &xml, self.generated_at).map_err(|e| WriteError {
                problems: vec![Problem::blocking(
                    2,
                    &Subject::File,
                    "l'archive zip",
                    format!("l'archive n'a pas pu être écrite ({e})"),
                )],
            })?;
        Ok((format!("{name}.zip"), zip))
    }
}

fn zip_one(name: &str, bytes: &[u8], at: chrono::NaiveDateTime) -> std::io::Result<Vec<u8>> {
    use zip::write::SimpleFileOptions;
    let mut options =
        SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    if let Ok(t) = zip::DateTime::from_date_and_time(
        u16::try_from(at.year()).unwrap_or(1980),
        at.month() as u8,
        at.day() as u8,
        at.hour() as u8,
        at.minute() as u8,
        at.second() as u8,
    ) {
        options = options.last_modified_time(t);
    }
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    w.start_file(name, options).map_err(std::io::Error::other)?;
    w.write_all(bytes)?;
    Ok(w.finish().map_err(std::io::Error::other)?.into_inner())
}

/// How a value must look.
#[derive(Clone, Copy)]
enum Shape {
    /// 1 to `max` characters.
    Len(usize),
    /// Exactly `n` characters.
    Exact(usize),
    /// Exactly `n` ASCII letters or digits (`\w{n}`: UAI, INE).
    Word(usize),
}

#[derive(Default)]
struct Out {
    buf: String,
    problems: Vec<Problem>,
    subject: Option<Subject>,
    depth: usize,
}

impl Out {
    fn subject(&self) -> Subject {
        self.subject.clone().unwrap_or(Subject::File)
    }

    fn problem(&mut self, field: &'static str, message: impl Into<String>) {
        let subject = self.subject();
        self.problems
            .push(Problem::blocking(0, &subject, field, message));
    }

    fn indent(&mut self) {
        for _ in 0..self.depth {
            self.buf.push_str("  ");
        }
    }

    fn open(&mut self, tag: &str) {
        self.indent();
        self.buf.push('<');
        self.buf.push_str(tag);
        self.buf.push_str(">\n");
        self.depth += 1;
    }

    fn close(&mut self, tag: &str) {
        self.depth -= 1;
        self.indent();
        self.buf.push_str("</");
        self.buf.push_str(tag);
        self.buf.push_str(">\n");
    }

    /// An element holding a value already known to be valid (numbers, dates, booleans).
    fn raw(&mut self, tag: &str, value: &str) {
        self.indent();
        self.buf.push('<');
        self.buf.push_str(tag);
        self.buf.push('>');
        self.buf.push_str(value);
        self.buf.push_str("</");
        self.buf.push_str(tag);
        self.buf.push_str(">\n");
    }

    /// A text element: cleaned (Latin-9, trimmed), checked against its shape, escaped.
    fn text(&mut self, tag: &'static str, value: &str, shape: Shape) {
        let label = field_label(tag);
        let cleaned = match latin9::clean(value) {
            Ok(v) => v,
            Err(Unwritable::Character(c)) => {
                self.problem(
                    label,
                    format!(
                        "le caractère « {c} » (U+{:04X}) n'existe pas dans l'encodage de SIECLE ; corrigez la valeur « {value} »",
                        c as u32
                    ),
                );
                return;
            }
        };
        let len = cleaned.chars().count();
        let fault = match shape {
            _ if len == 0 => Some("est vide".to_string()),
            Shape::Len(max) if len > max => Some(format!(
                "« {cleaned} » a {len} caractères, SIECLE en accepte au plus {max}"
            )),
            Shape::Exact(n) if len != n => Some(format!(
                "« {cleaned} » doit avoir exactement {n} caractères"
            )),
            Shape::Word(n) if len != n || !cleaned.bytes().all(|b| b.is_ascii_alphanumeric()) => {
                Some(format!(
                    "« {cleaned} » doit faire exactement {n} lettres ou chiffres"
                ))
            }
            _ => None,
        };
        if let Some(fault) = fault {
            self.problem(label, fault);
            return;
        }
        self.indent();
        self.buf.push('<');
        self.buf.push_str(tag);
        self.buf.push('>');
        for c in cleaned.chars() {
            match c {
                '&' => self.buf.push_str("&amp;"),
                '<' => self.buf.push_str("&lt;"),
                '>' => self.buf.push_str("&gt;"),
                c => self.buf.push(c),
            }
        }
        self.buf.push_str("</");
        self.buf.push_str(tag);
        self.buf.push_str(">\n");
    }

    fn opt_text(&mut self, tag: &'static str, value: Option<&str>, shape: Shape) {
        if let Some(v) = value {
            self.text(tag, v, shape);
        }
    }

    fn date(&mut self, tag: &'static str, d: NaiveDate) {
        if !(1..=9999).contains(&d.year()) {
            self.problem(field_label(tag), format!("la date {d} est impossible"));
            return;
        }
        self.raw(tag, &d.format("%Y-%m-%d").to_string());
    }

    fn opt_date(&mut self, tag: &'static str, d: Option<NaiveDate>) {
        if let Some(d) = d {
            self.date(tag, d);
        }
    }

    fn boolean(&mut self, tag: &str, b: bool) {
        self.raw(tag, if b { "true" } else { "false" });
    }

    fn opt_boolean(&mut self, tag: &str, b: Option<bool>) {
        if let Some(b) = b {
            self.boolean(tag, b);
        }
    }

    fn file(&mut self, f: &ReturnFile) {
        self.buf
            .push_str("<?xml version=\"1.0\" encoding=\"ISO-8859-15\"?>\n");
        self.buf
            .push_str(&format!("<IMPORT_ELEVES VERSION=\"{SCHEMA_VERSION}\">\n"));
        self.depth = 1;
        self.open("PARAMETRES");
        self.text("UAJ", f.uai.as_str(), Shape::Word(8));
        if (1000..=9999).contains(&f.school_year) {
            self.raw("ANNEE_SCOLAIRE", &f.school_year.to_string());
        } else {
            self.problem(
                field_label("ANNEE_SCOLAIRE"),
                format!("{} n'est pas une année sur 4 chiffres", f.school_year),
            );
        }
        let day = f.generated_at.date();
        if (1000..=9999).contains(&day.year()) {
            self.raw("DATE_IMPORT", &day.format("%d/%m/%Y").to_string());
        } else {
            self.problem(field_label("DATE_IMPORT"), "date de génération impossible");
        }
        if f.send_number <= SEND_NUMBER_MAX {
            self.raw("NUM_ENVOI", &f.send_number.to_string());
        } else {
            self.problem(
                field_label("NUM_ENVOI"),
                format!(
                    "{} dépasse le plus grand numéro d'envoi possible ({SEND_NUMBER_MAX})",
                    f.send_number
                ),
            );
        }
        self.raw("LOGICIEL", SOFTWARE);
        self.close("PARAMETRES");

        self.open("DONNEES");
        if f.persons.is_empty() {
            self.problem(
                "les responsables",
                "le fichier doit contenir au moins un responsable",
            );
        }
        if f.pupils.is_empty() {
            self.problem("les élèves", "le fichier doit contenir au moins un élève");
        }
        self.open("PERSONNES");
        let mut person_ids = HashSet::new();
        for p in &f.persons {
            self.subject = Some(person_subject(p));
            if !person_ids.insert(p.private_id) {
                self.problem(
                    field_label("ID_PRV_PER"),
                    format!(
                        "l'identifiant {} est déjà celui d'une autre personne du fichier",
                        p.private_id
                    ),
                );
            }
            self.person(p);
        }
        self.subject = None;
        self.close("PERSONNES");

        self.open("ELEVES");
        let mut pupil_ids = HashSet::new();
        let mut ines = HashSet::new();
        for p in &f.pupils {
            self.subject = Some(pupil_subject(p));
            if !pupil_ids.insert(p.private_id) {
                self.problem(
                    field_label("ID_PRV_ELE"),
                    format!(
                        "l'identifiant {} est déjà celui d'un autre élève du fichier",
                        p.private_id
                    ),
                );
            }
            if let Some(ine) = &p.ine
                && !ines.insert(ine.trim().to_string())
            {
                self.problem(
                    field_label("ID_NATIONAL"),
                    format!("l'INE {ine} est déjà celui d'un autre élève du fichier"),
                );
            }
            self.pupil(p, &person_ids);
        }
        self.subject = None;
        self.close("ELEVES");
        self.close("DONNEES");
        self.buf.push_str("</IMPORT_ELEVES>\n");
    }

    fn person(&mut self, p: &Person) {
        self.open("PERSONNE");
        self.raw("ID_PRV_PER", &p.private_id.to_string());
        if let Some(id) = p.siecle_id {
            self.raw("ID_SIECLE_PER", &id.to_string());
        }
        self.text("CODE_CIVILITE", p.civility.code(), Shape::Exact(1));
        self.text("NOM_DE_FAMILLE", &p.last_name, Shape::Len(100));
        self.opt_text("NOM_USAGE", p.usage_name.as_deref(), Shape::Len(100));
        self.text("PRENOM", &p.first_name, Shape::Len(100));
        if let Some(a) = &p.address {
            self.address(a);
        }
        self.opt_boolean("COMMUNICATION_ADRESSE", p.shares_address);
        self.text("CODE_PROFESSION", p.profession.code(), Shape::Len(2));
        self.phones(&p.phones);
        self.opt_boolean("ACCEPTE_SMS", p.accepts_sms);
        self.opt_text("EMAIL", p.email.as_deref(), Shape::Len(254));
        self.close("PERSONNE");
    }

    fn phones(&mut self, p: &Phones) {
        self.opt_text("TEL_PERSONNEL", p.home.as_deref(), Shape::Len(20));
        self.opt_text("TEL_PROFESSIONNEL", p.work.as_deref(), Shape::Len(20));
        self.opt_text("TEL_PORTABLE", p.mobile.as_deref(), Shape::Len(20));
    }

    fn address(&mut self, a: &Address) {
        self.open("ADRESSE");
        if a.lines.len() > 4 {
            self.problem(
                "l'adresse",
                format!("{} lignes, SIECLE en accepte au plus 4", a.lines.len()),
            );
        }
        const LINES: [&str; 4] = [
            "LIGNE1_ADRESSE",
            "LIGNE2_ADRESSE",
            "LIGNE3_ADRESSE",
            "LIGNE4_ADRESSE",
        ];
        for (tag, line) in LINES.iter().zip(&a.lines) {
            self.text(tag, line, Shape::Len(super::model::ADDRESS_LINE_MAX));
        }
        match &a.town {
            Town::France { postcode, name } => {
                self.text("CODE_POSTAL", postcode, Shape::Exact(5));
                self.text("LL_POSTAL", name, Shape::Len(32));
            }
            Town::Abroad(name) => self.text("COMMUNE_ETRANGERE", name, Shape::Len(32)),
        }
        self.text("CODE_PAYS", &a.country, Shape::Len(3));
        self.close("ADRESSE");
    }

    fn pupil(&mut self, p: &Pupil, persons: &HashSet<u32>) {
        let staying = p.leaving.is_none();
        self.open("ELEVE");
        if let Some(l) = &p.leaving {
            self.text("CODE_MOTIF_SORTIE", &l.motive, Shape::Len(2));
            self.date("DATE_SORTIE", l.date);
        }
        self.raw("ID_PRV_ELE", &p.private_id.to_string());
        if let Some(id) = p.siecle_id {
            self.raw("ID_SIECLE_ELE", &id.to_string());
        }
        self.opt_text("ID_NATIONAL", p.ine.as_deref(), Shape::Word(11));
        self.text("NOM_DE_FAMILLE", &p.last_name, Shape::Len(100));
        self.opt_text("NOM_USAGE", p.usage_name.as_deref(), Shape::Len(100));
        self.text("PRENOM", &p.first_name, Shape::Len(100));
        self.opt_text("PRENOM2", p.first_name2.as_deref(), Shape::Len(100));
        self.opt_text("PRENOM3", p.first_name3.as_deref(), Shape::Len(100));
        self.required_text(
            staying,
            "CODE_PAYS_NAT",
            p.nationality.as_deref(),
            Shape::Len(3),
        );
        self.date("DATE_NAISS", p.birth_date);
        let sex = p.sex.as_ref().map(|s| s.code());
        self.required_text(staying, "CODE_SEXE", sex, Shape::Exact(1));
        self.text("CODE_PAYS", &p.birth_country, Shape::Len(3));
        match &p.birthplace {
            Some(Birthplace::Insee(code)) => {
                self.text("CODE_COMMUNE_INSEE_NAISS", code, Shape::Exact(5))
            }
            Some(Birthplace::Abroad(town)) => self.text("VILLE_NAISS", town, Shape::Len(32)),
            None if staying => self.problem(
                "le lieu de naissance",
                "absent : la commune de naissance (code INSEE) ou la ville à l'étranger est obligatoire",
            ),
            None => {}
        }
        self.opt_date("DATE_ENTREE", p.entry_date);
        if let Some(a) = &p.address {
            self.address(a);
        }
        self.phones(&p.phones);
        self.opt_boolean("ACCEPTE_SMS", p.accepts_sms);
        self.opt_text("EMAIL", p.email.as_deref(), Shape::Len(254));
        self.boolean("ADHESION_TRANSPORT", p.transport);
        self.text("CODE_REGIME", p.regime.code(), Shape::Len(2));
        self.boolean("DOUBLEMENT", p.repeating);
        self.grants(p);
        self.links(p, persons, staying);
        match &p.schooling {
            Some(s) => {
                self.open("SCOLARITE_ACTIVE");
                self.text("CODE_MEF", &s.mef, Shape::Exact(11));
                self.opt_text("CODE_DIVISION", s.division.as_deref(), Shape::Len(8));
                self.text("CODE_STATUT", &s.status, Shape::Len(2));
                self.date("DATE_DEB_SCO", s.start);
                self.opt_date("DATE_FIN_SCO", s.end);
                self.opt_boolean("ARRET_FORMATION", s.stops_training);
                if s.options.len() > 12 {
                    self.problem(
                        "les options",
                        format!("{} options, SIECLE en accepte au plus 12", s.options.len()),
                    );
                }
                self.open("OPTIONS");
                for o in &s.options {
                    self.open("OPTION");
                    self.text("CODE_MATIERE", &o.subject, Shape::Len(6));
                    self.text("CODE_MODALITE_ELECT", o.modality.code(), Shape::Exact(1));
                    self.close("OPTION");
                }
                self.close("OPTIONS");
                self.close("SCOLARITE_ACTIVE");
            }
            None if staying => self.problem(
                "la scolarité de l'année",
                "absente : la formation (MEF), le statut et la date de début sont obligatoires",
            ),
            None => {}
        }
        match &p.previous {
            Some(prev) => {
                self.open("ETABLISSEMENT_AN_DERNIER");
                match &prev.school {
                    PreviousSchool::Uai(uai) => self.text("CODE_RNE", uai, Shape::Word(8)),
                    PreviousSchool::Department(d) => {
                        self.text("CODE_DEPARTEMENT", d, Shape::Len(3))
                    }
                }
                self.text("CODE_PROVENANCE", &prev.provenance, Shape::Exact(1));
                self.opt_text("CODE_MEF", prev.mef.as_deref(), Shape::Exact(11));
                self.opt_text("TYPE_MEF", prev.mef_type.as_deref(), Shape::Exact(1));
                self.opt_text("CODE_DIVISION", prev.division.as_deref(), Shape::Len(8));
                self.opt_text("CODE_STATUT", prev.status.as_deref(), Shape::Len(2));
                self.opt_date("DATE_DEB_SCO", prev.start);
                self.opt_date("DATE_FIN_SCO", prev.end);
                self.opt_text("CODE_REGIME", prev.regime.as_deref(), Shape::Len(2));
                if prev.options.len() > 12 {
                    self.problem(
                        "les options de l'an dernier",
                        format!(
                            "{} options, SIECLE en accepte au plus 12",
                            prev.options.len()
                        ),
                    );
                }
                self.open("OPTIONS_AN_DERNIER");
                for o in &prev.options {
                    self.text("CODE_MATIERE", o, Shape::Len(5));
                }
                self.close("OPTIONS_AN_DERNIER");
                self.close("ETABLISSEMENT_AN_DERNIER");
            }
            None if staying => self.problem(
                "la scolarité de l'an dernier",
                "absente : l'établissement d'origine et la provenance sont obligatoires",
            ),
            None => {}
        }
        self.close("ELEVE");
    }

    fn required_text(&mut self, required: bool, tag: &'static str, v: Option<&str>, s: Shape) {
        match v {
            Some(v) => self.text(tag, v, s),
            None if required => {
                self.problem(field_label(tag), "absent, alors qu'il est obligatoire")
            }
            None => {}
        }
    }

    fn grants(&mut self, p: &Pupil) {
        // A grant whose NB_PART is unknown cannot be written (the schema requires
        // it) and is never sent with a made-up number: left out (check 30 warns).
        let known: Vec<&Grant> = p.grants.iter().filter(|g| g.parts.is_some()).collect();
        if known.is_empty() {
            return;
        }
        if p.grants.len() > 2 {
            self.problem(
                "les bourses",
                format!("{} bourses, SIECLE en accepte au plus 2", p.grants.len()),
            );
        }
        let mut seen = HashSet::new();
        self.open("BOURSES");
        for g in known {
            let parts = g.parts.unwrap_or_default();
            if !seen.insert(g.code.trim().to_string()) {
                self.problem(
                    field_label("CODE_BOURSE"),
                    format!("la bourse « {} » est présente deux fois", g.code),
                );
            }
            self.open("BOURSE");
            self.text("CODE_BOURSE", &g.code, Shape::Exact(1));
            if parts <= 99 {
                self.raw("NB_PART", &parts.to_string());
            } else {
                self.problem(
                    field_label("NB_PART"),
                    format!("{parts} parts, SIECLE en accepte au plus 99"),
                );
            }
            self.close("BOURSE");
        }
        self.close("BOURSES");
    }

    fn links(&mut self, p: &Pupil, persons: &HashSet<u32>, staying: bool) {
        let legal = p.links.iter().filter(|l| l.kind == LinkKind::Legal).count();
        if p.links.is_empty() && !staying {
            return;
        }
        if legal == 0 {
            self.problem(
                "les représentants légaux",
                "aucun représentant légal : SIECLE n'importe pas un élève sans représentant légal",
            );
        } else if legal > 2 {
            self.problem(
                "les représentants légaux",
                format!("{legal} représentants légaux, SIECLE en accepte au plus 2"),
            );
        }
        let mut seen = HashSet::new();
        let mut links: Vec<&Link> = p.links.iter().collect();
        links.sort_by_key(|l| l.kind);
        self.open("RESPONSABLES_ELEVE");
        for l in links {
            if !persons.contains(&l.person) {
                self.problem(
                    "un responsable",
                    format!(
                        "le responsable d'identifiant {} n'est pas dans la liste des personnes du fichier",
                        l.person
                    ),
                );
            }
            if !seen.insert(l.person) {
                self.problem(
                    "un responsable",
                    format!(
                        "le responsable d'identifiant {} est lié deux fois à l'élève",
                        l.person
                    ),
                );
            }
            let tag = match l.kind {
                LinkKind::Legal => "LEGAL",
                LinkKind::InCharge => "PERSONNE_EN_CHARGE",
                LinkKind::Contact => "CONTACT",
            };
            self.open(tag);
            self.raw("ID_PRV_PER", &l.person.to_string());
            self.text("CODE_PARENTE", l.relationship.code(), Shape::Len(2));
            if l.kind != LinkKind::Contact {
                self.opt_boolean("PAIE_FRAIS_SCOLAIRES", l.pays_fees);
                match l.lives_with_pupil {
                    Some(b) => self.boolean("HEBERGE_ELEVE", b),
                    None => self.problem(
                        "l'hébergement de l'élève",
                        format!(
                            "on ne sait pas si l'élève vit chez le responsable d'identifiant {} : SIECLE l'exige",
                            l.person
                        ),
                    ),
                }
                self.opt_boolean("PERCOIT_LES_AIDES", l.receives_aid);
                self.opt_boolean("A_CONTACTER_EN_PRIORITE", l.contact_first);
            }
            self.close(tag);
        }
        self.close("RESPONSABLES_ELEVE");
    }
}

pub(crate) fn pupil_subject(p: &Pupil) -> Subject {
    Subject::Pupil {
        private_id: p.private_id,
        name: p.display_name(),
    }
}

pub(crate) fn person_subject(p: &Person) -> Subject {
    Subject::Person {
        private_id: p.private_id,
        name: format!("{} {}", p.first_name.trim(), p.last_name.trim())
            .trim()
            .to_string(),
    }
}
