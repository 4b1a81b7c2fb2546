//! The dry run: every check of RETURN-FILE-RULES.md §4 that the schema does not express,
//! over the file and what SIECLE held ([`DryRunContext`]), listing every problem per
//! pupil or person, blocking or warning, in French.
//!
//! The writer's own refusals (what the schema would reject) come first, so one list
//! tells the school everything. A check that cannot be made because the context lacks
//! what it needs (no nomenclature, no school-year dates…) is blocking: a check never
//! passes silently.

use std::collections::{HashMap, HashSet};

use chrono::{NaiveDate, NaiveDateTime};

use super::latin9;
use super::model::{Address, Birthplace, LinkKind, Person, Phones, Pupil, ReturnFile, Town};
use super::problem::{Problem, Severity, Subject};
use super::write::{is_valid_file_name, person_subject, pupil_subject};
use crate::codes::{ModaliteElection, Parente, Sexe};
use crate::nomenclatures::{Matiere, Mef, OptionObligatoire, Programme};
use crate::structures::Division;
use crate::types::Parametres;

/// What the checks compare the file with. Everything comes from the imported exports
/// and the school's records; nothing from a clock.
#[derive(Debug, Clone, Default)]
pub struct DryRunContext {
    /// First and last day of the target school year (the exports' DATE_DEB_ELEVE and
    /// DATE_FIN_ELEVE, or the school's input). Never hard-coded.
    pub school_year_dates: Option<(NaiveDate, NaiveDate)>,
    /// The target year's MEFs (Nomenclature).
    pub mefs: Vec<Mef>,
    /// Subjects (Nomenclature), for their names in messages.
    pub subjects: Vec<Matiere>,
    /// PROGRAMMES (Nomenclature).
    pub programmes: Vec<Programme>,
    /// OPTIONS_OBLIGATOIRES (Nomenclature).
    pub mandatory_options: Vec<OptionObligatoire>,
    /// Divisions with their MEFs (Structures export).
    pub divisions: Vec<Division>,
    /// What SIECLE holds, in the writer's shape, built from the latest exports alone
    /// (before any change): every pupil of the export, matched by ID_SIECLE_ELE.
    pub siecle_pupils: Vec<Pupil>,
    /// The persons SIECLE holds, matched by ID_PRV_PER.
    pub siecle_persons: Vec<Person>,
    /// Links an agent removed on purpose: (pupil's ID_PRV_ELE, person's ID_PRV_PER).
    pub removed_links: Vec<(u32, u32)>,
    /// PARAMETRES of every export used.
    pub exports: Vec<Parametres>,
    /// The exports are of the school year before the file's: re-enrolment prepared
    /// during the ending year, from its exports, for the next one (the caller moved
    /// each pupil's schooling up a year: next year's MEF, this year's schooling as
    /// ETABLISSEMENT_AN_DERNIER). ANNEE_SCOLAIRE is then the exports' year + 1;
    /// otherwise it is the exports' own (exports of the target base, check 6).
    pub exports_of_the_year_before: bool,
    /// The last downloaded file: its NUM_ENVOI and generation time.
    pub last_send: Option<(u32, NaiveDateTime)>,
}

/// The dry run's result.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DryRun {
    /// Every problem: the file's first, then per person and per pupil, in file order.
    pub problems: Vec<Problem>,
}

impl DryRun {
    /// Whether the download is refused.
    pub fn is_blocked(&self) -> bool {
        self.problems.iter().any(Problem::is_blocking)
    }

    /// The blocking problems.
    pub fn blocking(&self) -> impl Iterator<Item = &Problem> {
        self.problems.iter().filter(|p| p.is_blocking())
    }

    /// The warnings an agent acknowledges before downloading.
    pub fn warnings(&self) -> impl Iterator<Item = &Problem> {
        self.problems
            .iter()
            .filter(|p| p.severity == Severity::Warning)
    }

    /// The problems grouped by pupil, person or file, in order of first appearance.
    pub fn by_subject(&self) -> Vec<(&Subject, Vec<&Problem>)> {
        let mut order: Vec<&Subject> = Vec::new();
        let mut groups: HashMap<&Subject, Vec<&Problem>> = HashMap::new();
        for p in &self.problems {
            groups
                .entry(&p.subject)
                .or_insert_with(|| {
                    order.push(&p.subject);
                    Vec::new()
                })
                .push(p);
        }
        order
            .into_iter()
            .map(|s| (s, groups.remove(s).unwrap_or_default()))
            .collect()
    }
}

/// Runs every check on the file.
pub fn dry_run(file: &ReturnFile, ctx: &DryRunContext) -> DryRun {
    let mut c = Checks {
        file,
        ctx,
        out: Vec::new(),
        persons: file.persons.iter().map(|p| (p.private_id, p)).collect(),
        siecle_pupils: ctx
            .siecle_pupils
            .iter()
            .filter_map(|p| p.siecle_id.map(|id| (id, p)))
            .collect(),
        siecle_persons: ctx
            .siecle_persons
            .iter()
            .map(|p| (p.private_id, p))
            .collect(),
        mefs: ctx.mefs.iter().map(|m| (m.code_mef.as_str(), m)).collect(),
    };
    if let Err(e) = file.to_xml() {
        c.out.extend(e.problems);
    }
    c.file_checks();
    for p in &file.persons {
        c.person(p);
    }
    for p in &file.pupils {
        c.pupil(p);
    }
    DryRun { problems: c.out }
}

struct Checks<'a> {
    file: &'a ReturnFile,
    ctx: &'a DryRunContext,
    out: Vec<Problem>,
    persons: HashMap<u32, &'a Person>,
    siecle_pupils: HashMap<u32, &'a Pupil>,
    siecle_persons: HashMap<u32, &'a Person>,
    mefs: HashMap<&'a str, &'a Mef>,
}

/// Values that say « unknown » instead of being left out.
fn is_placeholder(v: &str) -> bool {
    let t = v.trim();
    if t.is_empty() {
        return false;
    }
    let k = crate::text::fold_key(t);
    // Only punctuation (« ? », « - », « ... »), or a word for « unknown ».
    k.is_empty()
        || matches!(
            k.as_str(),
            "inconnu"
                | "inconnue"
                | "nc"
                | "n c"
                | "non renseigne"
                | "non renseignee"
                | "x"
                | "xx"
                | "xxx"
                | "a completer"
                | "neant"
        )
}

fn is_digits(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_digit())
}

/// `^\+?\d{1,19}$`.
fn is_phone_shape(s: &str) -> bool {
    let digits = s.strip_prefix('+').unwrap_or(s);
    !digits.is_empty() && digits.len() <= 19 && digits.bytes().all(|b| b.is_ascii_digit())
}

/// The national number of a French phone (« 0612345678 » from « +33612345678 »), if it
/// is one.
fn french_national(s: &str) -> Option<String> {
    if let Some(rest) = s.strip_prefix("+33") {
        Some(format!("0{rest}"))
    } else if s.starts_with('0') && !s.starts_with("00") {
        Some(s.to_string())
    } else {
        None
    }
}

fn same_name(a: &str, b: &str) -> bool {
    crate::text::fold_key(a) == crate::text::fold_key(b)
}

impl<'a> Checks<'a> {
    fn block(&mut self, check: u8, s: &Subject, field: &'static str, msg: impl Into<String>) {
        self.out.push(Problem::blocking(check, s, field, msg));
    }

    fn warn(&mut self, check: u8, s: &Subject, field: &'static str, msg: impl Into<String>) {
        self.out.push(Problem::warning(check, s, field, msg));
    }

    fn mef_words(&self, code: &str) -> String {
        match self.mefs.get(code).and_then(|m| {
            m.libelle_long
                .as_deref()
                .or(m.libelle_edition.as_deref())
                .or(m.formation.as_deref())
        }) {
            Some(label) => format!("« {label} » ({code})"),
            None => format!("de code {code}"),
        }
    }

    fn subject_words(&self, code: &str) -> String {
        match self
            .ctx
            .subjects
            .iter()
            .find(|s| s.code_matiere == code)
            .and_then(|s| {
                s.libelle_long
                    .as_deref()
                    .or(s.libelle_edition.as_deref())
                    .or(s.libelle_court.as_deref())
            }) {
            Some(label) => format!("« {label} » ({code})"),
            None => format!("de code {code}"),
        }
    }

    fn file_checks(&mut self) {
        let f = self.file;
        let s = Subject::File;
        if !is_valid_file_name(&f.file_name()) {
            self.block(
                1,
                &s,
                "le nom du fichier",
                format!(
                    "« {} » n'a pas la forme attendue par SIECLE (UAI, PRIVE, année, date et heure)",
                    f.file_name()
                ),
            );
        }
        if !f.uai.has_valid_check_letter() {
            self.block(
                5,
                &s,
                "l'établissement (UAI)",
                format!("la lettre de contrôle de l'UAI {} est fausse", f.uai),
            );
        }
        if self.ctx.exports.is_empty() {
            self.block(
                6,
                &s,
                "les exports SIECLE",
                "aucun export SIECLE n'est connu : l'année scolaire et l'établissement ne peuvent pas être vérifiés",
            );
        }
        for e in &self.ctx.exports {
            if e.uaj.as_ref() != Some(&f.uai) {
                self.block(
                    6,
                    &s,
                    "les exports SIECLE",
                    format!(
                        "un export est celui de l'établissement {}, pas de {}",
                        e.uaj
                            .as_ref()
                            .map(|u| u.to_string())
                            .unwrap_or_else(|| "inconnu".into()),
                        f.uai
                    ),
                );
            }
            let target = e
                .annee_scolaire
                .map(|y| y + u16::from(self.ctx.exports_of_the_year_before));
            if target != Some(f.school_year) {
                self.block(
                    6,
                    &s,
                    "l'année scolaire",
                    format!(
                        "un export est de l'année {}, le fichier de l'année {}-{}{}",
                        e.annee_scolaire
                            .map(|y| format!("{y}-{}", y + 1))
                            .unwrap_or_else(|| "inconnue".into()),
                        f.school_year,
                        f.school_year + 1,
                        if self.ctx.exports_of_the_year_before {
                            " (il doit préparer l'année qui suit celle des exports)"
                        } else {
                            ""
                        }
                    ),
                );
            }
        }
        if let Some((number, at)) = self.ctx.last_send {
            if f.send_number <= number {
                self.block(
                    8,
                    &s,
                    "le numéro d'envoi",
                    format!(
                        "le fichier porte le numéro {}, le précédent portait déjà le numéro {number}",
                        f.send_number
                    ),
                );
            }
            let stale = self
                .ctx
                .exports
                .iter()
                .any(|e| e.horodatage.is_some_and(|h| h < at));
            if stale {
                self.warn(
                    7,
                    &s,
                    "les exports SIECLE",
                    format!(
                        "un export date d'avant le dernier fichier envoyé (le {}) : importez les exports du jour pour que SIECLE reconnaisse les élèves et les INE récents",
                        at.format("%d/%m/%Y à %H:%M")
                    ),
                );
            }
        }
        if self.ctx.school_year_dates.is_none() {
            self.block(
                34,
                &s,
                "les dates de l'année scolaire",
                "la date de rentrée et la date de fin de l'année ne sont pas connues : la date de début de scolarité ne peut pas être vérifiée",
            );
        }
        if self.ctx.mefs.is_empty() {
            self.block(
                32,
                &s,
                "la nomenclature",
                "la nomenclature de l'année n'a pas été importée : les formations et les options ne peuvent pas être vérifiées",
            );
        }
        if self.ctx.divisions.is_empty()
            && f.pupils
                .iter()
                .any(|p| p.schooling.as_ref().is_some_and(|s| s.division.is_some()))
        {
            self.block(
                33,
                &s,
                "les divisions",
                "les divisions de l'établissement (export Structures) n'ont pas été importées : les divisions des élèves ne peuvent pas être vérifiées",
            );
        }
        let in_file: HashSet<u32> = f.pupils.iter().filter_map(|p| p.siecle_id).collect();
        let missing = self
            .ctx
            .siecle_pupils
            .iter()
            .filter(|p| p.siecle_id.is_some_and(|id| !in_file.contains(&id)))
            .count();
        if missing > 0 {
            self.warn(
                41,
                &s,
                "les élèves",
                format!(
                    "{missing} élève(s) de SIECLE ne sont pas dans le fichier (dossier non validé ou sans changement) : SIECLE les comptera comme absents du fichier, sans les modifier"
                ),
            );
        }
        let mut siecle_ids = HashSet::new();
        for p in &f.persons {
            if let Some(id) = p.siecle_id
                && !siecle_ids.insert(id)
            {
                let s = person_subject(p);
                self.block(
                    14,
                    &s,
                    "l'identifiant SIECLE",
                    "cette personne de SIECLE figure deux fois dans le fichier : une seule fiche par personne, partagée par les frères et sœurs",
                );
            }
        }
    }

    fn text_value(&mut self, s: &Subject, field: &'static str, v: &str) {
        if is_placeholder(v) {
            self.block(
                11,
                s,
                field,
                format!("« {} » n'est pas une vraie valeur : saisissez-la ou laissez-la vide si elle est facultative", v.trim()),
            );
        }
        if latin9::is_transliterated(v)
            && let Ok(clean) = latin9::clean(v)
        {
            self.warn(
                3,
                s,
                field,
                format!(
                    "« {} » sera écrit « {clean} » (caractères absents de l'encodage de SIECLE)",
                    v.trim()
                ),
            );
        }
    }

    fn address(&mut self, s: &Subject, a: &Address) {
        for l in &a.lines {
            self.text_value(s, "une ligne de l'adresse", l);
        }
        match &a.town {
            Town::France { postcode, name } => {
                self.text_value(s, "la commune de l'adresse", name);
                if a.country.trim() != "100" {
                    self.block(
                        19,
                        s,
                        "le pays de l'adresse",
                        format!("une adresse avec un code postal doit être en France (code pays 100), pas {}", a.country),
                    );
                }
                if !is_digits(postcode.trim(), 5) {
                    self.block(
                        19,
                        s,
                        "le code postal",
                        format!("« {postcode} » n'est pas un code postal de 5 chiffres"),
                    );
                }
            }
            Town::Abroad(town) => {
                self.text_value(s, "la commune étrangère de l'adresse", town);
                if a.country.trim() == "100" {
                    self.block(
                        19,
                        s,
                        "le pays de l'adresse",
                        "une adresse en France doit avoir un code postal et une commune, pas une commune étrangère",
                    );
                }
            }
        }
        if !is_digits(a.country.trim(), 3) {
            self.block(
                26,
                s,
                "le pays de l'adresse",
                format!(
                    "« {} » n'est pas un code pays SIECLE à 3 chiffres",
                    a.country
                ),
            );
        }
    }

    fn phones(&mut self, s: &Subject, p: &Phones) {
        for (field, value, mobile) in [
            ("le téléphone personnel", &p.home, false),
            ("le téléphone professionnel", &p.work, false),
            ("le téléphone portable", &p.mobile, true),
        ] {
            let Some(v) = value else { continue };
            let v = v.trim();
            if !is_phone_shape(v) {
                self.block(
                    20,
                    s,
                    field,
                    format!("« {v} » : seulement des chiffres, avec un « + » au début pour un numéro international, sans espace ni point"),
                );
                continue;
            }
            if let Some(national) = french_national(v) {
                if national.len() != 10 {
                    self.warn(
                        20,
                        s,
                        field,
                        format!("« {v} » n'a pas les 10 chiffres d'un numéro français"),
                    );
                } else if mobile && !(national.starts_with("06") || national.starts_with("07")) {
                    self.warn(
                        20,
                        s,
                        field,
                        format!("« {v} » n'est pas un numéro de portable (06 ou 07)"),
                    );
                }
            } else if !v.starts_with('+') && !v.starts_with("00") {
                self.warn(
                    20,
                    s,
                    field,
                    format!("« {v} » n'est ni un numéro français ni un numéro international (+…)"),
                );
            }
        }
    }

    fn person(&mut self, p: &'a Person) {
        let s = person_subject(p);
        self.text_value(&s, "le nom de famille", &p.last_name);
        self.text_value(&s, "le prénom", &p.first_name);
        if let Some(u) = &p.usage_name {
            self.text_value(&s, "le nom d'usage", u);
            if same_name(u, &p.last_name) {
                self.warn(
                    17,
                    &s,
                    "le nom d'usage",
                    "identique au nom de famille : il vaut mieux ne pas l'envoyer (SIECLE l'ignore)",
                );
            }
        }
        if !p.civility.is_known() {
            self.block(
                16,
                &s,
                "la civilité",
                format!("« {} » n'est ni Monsieur ni Madame", p.civility.code()),
            );
        }
        if !p.profession.is_known() || p.profession.is_obsolete() {
            self.block(
                18,
                &s,
                "la profession",
                format!(
                    "le code {} n'est pas une catégorie socio-professionnelle en vigueur",
                    p.profession.code()
                ),
            );
        }
        if let Some(a) = &p.address {
            self.address(&s, a);
        }
        self.phones(&s, &p.phones);
        if p.accepts_sms == Some(true) && p.phones.mobile.is_none() {
            self.block(
                21,
                &s,
                "l'accord pour les SMS",
                "accepte les SMS mais n'a pas de téléphone portable",
            );
        }
        match self.siecle_persons.get(&p.private_id) {
            Some(before) if before.siecle_id != p.siecle_id => self.block(
                13,
                &s,
                "l'identifiant privé",
                format!(
                    "l'identifiant {} est celui de {} {} dans SIECLE : un identifiant n'est jamais réutilisé pour une autre personne",
                    p.private_id, before.first_name, before.last_name
                ),
            ),
            Some(before)
                if !same_name(&before.last_name, &p.last_name)
                    || !same_name(&before.first_name, &p.first_name) =>
            {
                self.warn(
                    23,
                    &s,
                    "le nom",
                    format!(
                        "SIECLE connaît cette personne sous le nom {} {} : vérifiez le changement",
                        before.first_name, before.last_name
                    ),
                )
            }
            _ => {}
        }
    }

    fn pupil(&mut self, p: &'a Pupil) {
        let s = pupil_subject(p);
        self.text_value(&s, "le nom de famille", &p.last_name);
        self.text_value(&s, "le prénom", &p.first_name);
        for v in [&p.first_name2, &p.first_name3].into_iter().flatten() {
            self.text_value(&s, "un autre prénom", v);
        }
        if let Some(u) = &p.usage_name {
            self.text_value(&s, "le nom d'usage", u);
            if same_name(u, &p.last_name) {
                self.warn(
                    17,
                    &s,
                    "le nom d'usage",
                    "identique au nom de famille : il vaut mieux ne pas l'envoyer (SIECLE l'ignore)",
                );
            }
        }
        if p.leaving.is_some() {
            self.block(
                31,
                &s,
                "la sortie de l'élève",
                "la sortie d'un élève se saisit dans SIECLE, pas par ce fichier : retirez l'élève du fichier",
            );
        }
        self.identity(p, &s);
        self.birth(p, &s);
        if !p.regime.is_known() {
            self.block(
                28,
                &s,
                "le régime (demi-pension, internat)",
                format!("le code {} n'est pas un régime de SIECLE", p.regime.code()),
            );
        }
        if let Some(a) = &p.address {
            self.address(&s, a);
        }
        self.phones(&s, &p.phones);
        if p.accepts_sms == Some(true) && p.phones.mobile.is_none() {
            self.block(
                21,
                &s,
                "l'accord pour les SMS",
                "accepte les SMS mais n'a pas de téléphone portable",
            );
        }
        // A grant whose number of parts the school gave is sent as is; only
        // those still without one are listed.
        for g in p.grants.iter().filter(|g| g.parts.is_none()) {
            self.warn(
                30,
                &s,
                "la bourse",
                format!(
                    "boursier dans SIECLE (bourse {}), mais les exports ne donnent pas le nombre de parts : la bourse n'est pas envoyée (jamais un nombre inventé) ; saisissez son nombre de parts, ou vérifiez dans SIECLE après l'import qu'elle y est restée",
                    g.code.trim()
                ),
            );
        }
        self.links(p, &s);
        self.schooling(p, &s);
        self.previous(p, &s);
    }

    fn identity(&mut self, p: &Pupil, s: &Subject) {
        let before = p
            .siecle_id
            .and_then(|id| self.siecle_pupils.get(&id).copied());
        match (p.siecle_id, before) {
            (Some(id), None) => self.block(
                13,
                s,
                "l'identifiant SIECLE",
                format!("aucun élève de l'export SIECLE n'a l'identifiant {id}"),
            ),
            (None, _) => {
                if let Some(h) = self.ctx.siecle_pupils.iter().find(|o| {
                    same_name(&o.last_name, &p.last_name)
                        && same_name(&o.first_name, &p.first_name)
                        && o.birth_date == p.birth_date
                }) {
                    self.block(
                        15,
                        s,
                        "l'identité",
                        format!(
                            "SIECLE connaît déjà un élève {} né(e) le {}{} : un nouvel élève en double serait créé",
                            h.display_name(),
                            p.birth_date.format("%d/%m/%Y"),
                            h.ine.as_ref().map(|i| format!(" (INE {i})")).unwrap_or_default()
                        ),
                    );
                }
                if p.ine.is_some() {
                    self.block(
                        12,
                        s,
                        "l'INE",
                        "un élève inconnu de SIECLE ne peut pas avoir d'INE dans le fichier",
                    );
                }
            }
            (Some(_), Some(b)) => {
                if p.ine != b.ine {
                    self.block(
                        12,
                        s,
                        "l'INE",
                        format!(
                            "l'INE doit être celui du dernier export SIECLE ({})",
                            b.ine.as_deref().unwrap_or("aucun")
                        ),
                    );
                }
                let mut changed = Vec::new();
                if !same_name(&b.last_name, &p.last_name) {
                    changed.push(format!("nom de famille (SIECLE : {})", b.last_name));
                }
                if !same_name(&b.first_name, &p.first_name) {
                    changed.push(format!("prénom (SIECLE : {})", b.first_name));
                }
                if b.birth_date != p.birth_date {
                    changed.push(format!(
                        "date de naissance (SIECLE : {})",
                        b.birth_date.format("%d/%m/%Y")
                    ));
                }
                if b.sex != p.sex {
                    changed.push("sexe".into());
                }
                if b.birthplace != p.birthplace || b.birth_country != p.birth_country {
                    changed.push("lieu de naissance".into());
                }
                if b.nationality != p.nationality {
                    changed.push("nationalité".into());
                }
                if !changed.is_empty() {
                    self.warn(
                        25,
                        s,
                        "l'identité",
                        format!(
                            "diffère de SIECLE : {} ; un agent doit vérifier ce changement",
                            changed.join(", ")
                        ),
                    );
                }
                if p.transport != b.transport {
                    self.block(
                        29,
                        s,
                        "le transport scolaire",
                        "doit rester la valeur de SIECLE",
                    );
                }
                if p.entry_date != b.entry_date {
                    self.block(
                        29,
                        s,
                        "la date d'entrée dans l'établissement",
                        "doit rester la valeur de SIECLE",
                    );
                }
            }
        }
        if let Some(other) = self
            .ctx
            .siecle_pupils
            .iter()
            .find(|o| o.private_id == p.private_id && o.siecle_id != p.siecle_id)
        {
            self.block(
                13,
                s,
                "l'identifiant privé",
                format!(
                    "l'identifiant {} est celui de {} dans SIECLE : un identifiant n'est jamais réutilisé pour un autre élève",
                    p.private_id,
                    other.display_name()
                ),
            );
        }
    }

    fn birth(&mut self, p: &Pupil, s: &Subject) {
        if let Some(sex) = &p.sex
            && !matches!(sex, Sexe::Masculin | Sexe::Feminin)
        {
            self.block(
                26,
                s,
                "le sexe",
                format!(
                    "le code {} n'est ni masculin (1) ni féminin (2)",
                    sex.code()
                ),
            );
        }
        for (field, code) in [
            ("le pays de naissance", Some(&p.birth_country)),
            ("la nationalité", p.nationality.as_ref()),
        ] {
            if let Some(code) = code
                && !is_digits(code.trim(), 3)
            {
                self.block(
                    26,
                    s,
                    field,
                    format!("« {code} » n'est pas un code pays SIECLE à 3 chiffres"),
                );
            }
        }
        let in_france = p.birth_country.trim() == "100";
        match &p.birthplace {
            Some(Birthplace::Insee(code)) if !in_france => self.block(
                27,
                s,
                "la commune de naissance",
                format!("un code de commune INSEE ({code}) pour une naissance hors de France : indiquez la ville à l'étranger"),
            ),
            Some(Birthplace::Abroad(town)) => {
                self.text_value(s, "la ville de naissance", town);
                if in_france {
                    self.block(
                        27,
                        s,
                        "la commune de naissance",
                        "né(e) en France : il faut le code INSEE de la commune, pas un nom de ville",
                    );
                }
            }
            _ => {}
        }
    }

    fn links(&mut self, p: &Pupil, s: &Subject) {
        let mut legal_codes = Vec::new();
        for l in &p.links {
            let who = self
                .persons
                .get(&l.person)
                .map(|x| format!("{} {}", x.first_name, x.last_name))
                .unwrap_or_else(|| format!("n° {}", l.person));
            if !l.relationship.is_known() || !l.relationship.has_valid_length() {
                self.block(
                    22,
                    s,
                    "le lien de parenté",
                    format!(
                        "le lien avec {who} (code « {} ») n'est pas un lien de parenté de SIECLE à 2 chiffres",
                        l.relationship.code()
                    ),
                );
            }
            if l.kind == LinkKind::Legal {
                legal_codes.push(l.relationship.clone());
            }
        }
        for code in [Parente::Mere, Parente::Pere] {
            if legal_codes.iter().filter(|c| **c == code).count() > 1 {
                self.warn(
                    23,
                    s,
                    "les représentants légaux",
                    format!("deux représentants légaux ont le lien « {} » : vérifiez qu'aucun n'a remplacé l'autre", code.label()),
                );
            }
        }
        let legal_or_charge: Vec<_> = p
            .links
            .iter()
            .filter(|l| l.kind != LinkKind::Contact)
            .collect();
        if !legal_or_charge.is_empty() {
            if !legal_or_charge
                .iter()
                .any(|l| l.lives_with_pupil == Some(true))
            {
                self.warn(
                    24,
                    s,
                    "l'hébergement de l'élève",
                    "aucun responsable n'héberge l'élève",
                );
            }
            if !legal_or_charge.iter().any(|l| l.pays_fees == Some(true)) {
                self.warn(
                    24,
                    s,
                    "le paiement des frais scolaires",
                    "aucun responsable ne paie les frais scolaires",
                );
            }
        }
        if let Some(first) = p.links.iter().find(|l| l.kind == LinkKind::Legal)
            && let Some(person) = self.persons.get(&first.person)
            && person.address.is_none()
        {
            self.block(
                19,
                s,
                "l'adresse du premier représentant légal",
                format!(
                    "{} {} n'a pas d'adresse : SIECLE l'exige pour le premier représentant légal",
                    person.first_name, person.last_name
                ),
            );
        }
        let Some(before) = p
            .siecle_id
            .and_then(|id| self.siecle_pupils.get(&id).copied())
        else {
            return;
        };
        let kept: HashSet<u32> = p.links.iter().map(|l| l.person).collect();
        for l in &before.links {
            if kept.contains(&l.person)
                || self.ctx.removed_links.contains(&(p.private_id, l.person))
            {
                continue;
            }
            let who = self
                .siecle_persons
                .get(&l.person)
                .map(|x| format!("{} {}", x.first_name, x.last_name))
                .unwrap_or_else(|| format!("n° {}", l.person));
            self.block(
                23,
                s,
                "les responsables",
                format!(
                    "{who} ({}) est lié(e) à l'élève dans SIECLE mais absent(e) du fichier, sans qu'un agent l'ait retiré(e)",
                    l.relationship.label().to_lowercase()
                ),
            );
        }
    }

    fn schooling(&mut self, p: &Pupil, s: &Subject) {
        let Some(sc) = &p.schooling else { return };
        let mef = sc.mef.trim();
        let mef_known = self.mefs.get(mef).copied();
        if !self.ctx.mefs.is_empty() && mef_known.is_none() {
            self.block(
                32,
                s,
                "la formation (MEF)",
                format!("la formation de code {mef} n'est pas dans la nomenclature de l'année"),
            );
        }
        if let Some(div) = &sc.division
            && !self.ctx.divisions.is_empty()
        {
            let div = div.trim();
            match self
                .ctx
                .divisions
                .iter()
                .find(|d| d.code_structure.trim() == div)
            {
                None => self.block(
                    33,
                    s,
                    "la division",
                    format!("la division {div} n'existe pas dans SIECLE"),
                ),
                Some(d) if !d.mefs.iter().any(|m| m.trim() == mef) => self.block(
                    33,
                    s,
                    "la division",
                    format!(
                        "la division {div} n'est pas rattachée à la formation {} : SIECLE rejetterait toute la scolarité ; changez de division ou n'en envoyez pas",
                        self.mef_words(mef)
                    ),
                ),
                Some(_) => {}
            }
        }
        if let Some((first, last)) = self.ctx.school_year_dates {
            if sc.start < first || sc.start > last {
                self.block(
                    34,
                    s,
                    "la date de début de scolarité",
                    format!(
                        "le {} est hors de l'année scolaire (du {} au {})",
                        sc.start.format("%d/%m/%Y"),
                        first.format("%d/%m/%Y"),
                        last.format("%d/%m/%Y")
                    ),
                );
            }
            if let Some(end) = sc.end
                && (end < sc.start || end > last)
            {
                self.block(
                    34,
                    s,
                    "la date de fin de scolarité",
                    format!(
                        "le {} doit être après le début de scolarité et au plus tard le {}",
                        end.format("%d/%m/%Y"),
                        last.format("%d/%m/%Y")
                    ),
                );
            }
        }
        if let Some(prev) = &p.previous
            && prev.mef.as_deref().map(str::trim) == Some(mef)
            && !p.repeating
        {
            self.block(
                29,
                s,
                "le redoublement",
                format!(
                    "même formation que l'an dernier ({}) mais le redoublement n'est pas indiqué",
                    self.mef_words(mef)
                ),
            );
        }
        self.options(p, s, mef, mef_known);
    }

    fn options(&mut self, p: &Pupil, s: &Subject, mef: &str, known: Option<&Mef>) {
        let Some(sc) = &p.schooling else { return };
        let mut seen = HashSet::new();
        for o in &sc.options {
            let code = o.subject.trim();
            if !seen.insert(code) {
                self.block(
                    35,
                    s,
                    "les options",
                    format!(
                        "l'option {} est présente deux fois",
                        self.subject_words(code)
                    ),
                );
            }
            if !is_digits(code, 6) {
                self.block(
                    35,
                    s,
                    "les options",
                    format!("« {code} » n'est pas un code de matière SIECLE à 6 chiffres"),
                );
            }
            if known.is_some()
                && !self.ctx.programmes.iter().any(|pr| {
                    pr.code_mef.trim() == mef
                        && pr.code_matiere.trim() == code
                        && pr.code_modalite_elect.as_ref() == Some(&o.modality)
                })
            {
                self.block(
                    35,
                    s,
                    "les options",
                    format!(
                        "l'option {} ({}) n'est pas au programme de la formation {}",
                        self.subject_words(code),
                        o.modality.label().to_lowercase(),
                        self.mef_words(mef)
                    ),
                );
            }
        }
        let Some(m) = known else { return };
        let mandatory: Vec<&str> = sc
            .options
            .iter()
            .filter(|o| o.modality == ModaliteElection::Obligatoire)
            .map(|o| o.subject.trim())
            .collect();
        if let Some(n) = m.nb_opt_oblig
            && mandatory.len() != usize::from(n)
        {
            self.block(
                36,
                s,
                "les options obligatoires",
                format!(
                    "{} option(s) obligatoire(s) pour la formation {}, qui en demande exactement {n}",
                    mandatory.len(),
                    self.mef_words(mef)
                ),
            );
        }
        let first_non_mandatory = sc
            .options
            .iter()
            .position(|o| o.modality != ModaliteElection::Obligatoire)
            .unwrap_or(sc.options.len());
        if sc.options[first_non_mandatory..]
            .iter()
            .any(|o| o.modality == ModaliteElection::Obligatoire)
        {
            self.block(
                36,
                s,
                "les options obligatoires",
                "les options obligatoires doivent venir avant les autres, dans l'ordre de leur rang",
            );
        }
        let ranks: Vec<&OptionObligatoire> = self
            .ctx
            .mandatory_options
            .iter()
            .filter(|o| o.code_mef.trim() == mef)
            .collect();
        if !ranks.is_empty() {
            for (i, code) in mandatory.iter().enumerate() {
                let rank = i + 1;
                if !ranks
                    .iter()
                    .any(|r| r.code_matiere.trim() == *code && usize::from(r.rang_option) == rank)
                {
                    self.block(
                        36,
                        s,
                        "les options obligatoires",
                        format!(
                            "l'option {} n'est pas permise comme option obligatoire de rang {rank} en formation {}",
                            self.subject_words(code),
                            self.mef_words(mef)
                        ),
                    );
                }
            }
        }
        if let Some(before) = p
            .siecle_id
            .and_then(|id| self.siecle_pupils.get(&id).copied())
            && let Some(bs) = &before.schooling
            && sc.options.len() < bs.options.len()
        {
            self.warn(
                37,
                s,
                "les options",
                format!(
                    "{} option(s) dans le fichier, {} dans SIECLE : vérifiez qu'aucune n'est perdue",
                    sc.options.len(),
                    bs.options.len()
                ),
            );
        }
    }

    fn previous(&mut self, p: &Pupil, s: &Subject) {
        let Some(prev) = &p.previous else { return };
        let before = p
            .siecle_id
            .and_then(|id| self.siecle_pupils.get(&id).copied());
        match before.and_then(|b| b.previous.as_ref()) {
            Some(b) if b != prev => self.block(
                38,
                s,
                "la scolarité de l'an dernier",
                "doit être celle que SIECLE connaît (établissement, formation, division, options)",
            ),
            Some(_) => {}
            None => {
                if let super::model::PreviousSchool::Uai(uai) = &prev.school
                    && uai.trim() == self.file.uai.as_str()
                    && before.is_none()
                {
                    self.block(
                        38,
                        s,
                        "l'établissement d'origine",
                        "un nouvel élève vient d'un autre établissement : indiquez son école ou collège d'origine, pas le nôtre",
                    );
                }
            }
        }
        if let Some(mef) = &prev.mef
            && let Some(m) = self.mefs.get(mef.trim())
            && m.mef_origine == Some(false)
        {
            self.warn(
                39,
                s,
                "la formation de l'an dernier",
                format!(
                    "la formation {} n'est pas une formation d'origine pour SIECLE : elle risque d'être effacée",
                    self.mef_words(mef.trim())
                ),
            );
        }
    }
}
