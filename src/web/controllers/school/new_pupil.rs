//! « Nouvel élève »: a pupil not yet known to SIECLE, created at the desk by
//! the secretariat or the direction with what SIECLE needs for a new pupil
//! (RETURN-FILE-RULES.md §2 « New pupil without an INE », checks 11, 15, 16,
//! 19, 26, 27, 38): identity, birthplace (INSEE code of the commune in
//! France, else the foreign town), nationality, the MEF entered next year,
//! last year's school (UAI with its check letter, or its department), the
//! provenance (by its label, among the nomenclature's), and at least one
//! legal guardian with civility, link and address — typed, or a guardian the
//! school already has (a sibling's: « Ajouter un responsable déjà connu »,
//! searched among the guardians of the school's pupils only, by a second
//! submit button of the same form, so without JavaScript, placed after the
//! creation's: Enter in any field presses the form's default button, the
//! first, which creates the pupil or shows the form's errors). Countries and
//! links are chosen by name, never typed as codes. A pupil of the school with
//! the same names and birth date is shown first (check 15): the agent
//! confirms it is someone else. The pupil gets a dossier in the current
//! campaign, which the family continues with a code or the agent fills with
//! them (assisted mode).

use std::collections::BTreeMap;
use std::str::FromStr;

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use dossiersco_siecle::codes::{PAYS, Parente, Regime};
use serde::Deserialize;

use crate::app::AppState;
use crate::db::new_pupils::{self, Homonym, KnownGuardian, KnownLink, NewGuardian, NewPupil};
use crate::domain::birthplace;
use crate::domain::role::ManageSchool;
use crate::domain::uai::Uai;
use crate::web::auth::CurrentAgent;
use crate::web::error::AppError;
use crate::web::session::{Flash, redirect_with_flash};
use crate::web::templates::{Chrome, render};

/// Field name → message.
pub type Errors = BTreeMap<String, &'static str>;

/// One guardian's fields.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct GuardianFields {
    #[serde(default)]
    pub civility: String,
    #[serde(default)]
    pub last_name: String,
    #[serde(default)]
    pub first_name: String,
    #[serde(default)]
    pub relationship: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub postcode: String,
    #[serde(default)]
    pub city: String,
    #[serde(default)]
    pub country: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub lives_with: String,
    #[serde(default)]
    pub pays: String,
}

/// The form as posted (`g1_*`, `g2_*`: the guardians).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct NewPupilForm {
    #[serde(default)]
    pub last_name: String,
    #[serde(default)]
    pub first_name: String,
    #[serde(default)]
    pub other_first_names: String,
    #[serde(default)]
    pub sex: String,
    #[serde(default)]
    pub birth_date: String,
    #[serde(default)]
    pub birth_country: String,
    #[serde(default)]
    pub birth_commune_insee: String,
    #[serde(default)]
    pub birth_town_abroad: String,
    #[serde(default)]
    pub nationality: String,
    #[serde(default)]
    pub entry_mef: String,
    #[serde(default)]
    pub regime: String,
    #[serde(default)]
    pub transport: String,
    #[serde(default)]
    pub repeating: String,
    #[serde(default)]
    pub previous_kind: String,
    #[serde(default)]
    pub previous_uai: String,
    #[serde(default)]
    pub previous_department: String,
    #[serde(default)]
    pub provenance: String,
    /// « Ajouter un responsable déjà connu »: the name searched, the guardian
    /// chosen (their id) and their link with the new pupil.
    #[serde(default)]
    pub known_search: String,
    #[serde(default)]
    pub known_guardian: String,
    #[serde(default)]
    pub known_relationship: String,
    #[serde(default)]
    pub known_lives_with: String,
    #[serde(default)]
    pub known_pays: String,
    /// `chercher`: the search button (the form comes back with the guardians
    /// found, nothing is created).
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub homonym_confirmed: String,
    #[serde(flatten)]
    pub rest: BTreeMap<String, String>,
}

fn clean(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl NewPupilForm {
    fn blank() -> Self {
        Self {
            birth_country: "100".into(),
            nationality: "100".into(),
            previous_kind: "uai".into(),
            transport: "non".into(),
            repeating: "non".into(),
            rest: BTreeMap::from([
                ("g1_country".into(), "100".into()),
                ("g2_country".into(), "100".into()),
                ("g1_lives_with".into(), "oui".into()),
            ]),
            known_lives_with: "oui".into(),
            ..Self::default()
        }
    }

    /// Guardian `n` (1 or 2) as typed.
    pub fn guardian(&self, n: u8) -> GuardianFields {
        let get = |name: &str| {
            clean(
                self.rest
                    .get(&format!("g{n}_{name}"))
                    .map_or("", String::as_str),
            )
        };
        GuardianFields {
            civility: get("civility"),
            last_name: get("last_name"),
            first_name: get("first_name"),
            relationship: get("relationship"),
            address: get("address"),
            postcode: get("postcode"),
            city: get("city"),
            country: get("country"),
            phone: get("phone"),
            email: get("email"),
            lives_with: get("lives_with"),
            pays: get("pays"),
        }
    }

    fn cleaned(mut self) -> Self {
        for v in [
            &mut self.last_name,
            &mut self.first_name,
            &mut self.other_first_names,
            &mut self.sex,
            &mut self.birth_date,
            &mut self.birth_country,
            &mut self.birth_commune_insee,
            &mut self.birth_town_abroad,
            &mut self.nationality,
            &mut self.entry_mef,
            &mut self.regime,
            &mut self.previous_uai,
            &mut self.previous_department,
            &mut self.provenance,
            &mut self.known_search,
            &mut self.known_guardian,
            &mut self.known_relationship,
        ] {
            *v = clean(v);
        }
        self.birth_commune_insee = self.birth_commune_insee.to_ascii_uppercase();
        self.previous_uai = self.previous_uai.to_ascii_uppercase();
        self
    }
}

fn is_country(code: &str) -> bool {
    PAYS.iter().any(|p| p.code == code)
}

fn check_text(errors: &mut Errors, field: &str, value: &str, required: bool) {
    if required && value.is_empty() {
        errors.insert(field.into(), "Ce champ est obligatoire.");
    } else if value.chars().count() > 100 {
        errors.insert(
            field.into(),
            "Ce texte est trop long (100 caractères au plus).",
        );
    } else if value.chars().any(char::is_control) {
        errors.insert(
            field.into(),
            "Ce texte contient des caractères non autorisés.",
        );
    }
}

fn check_guardian(errors: &mut Errors, n: u8, g: &GuardianFields) {
    let f = |name: &str| format!("g{n}_{name}");
    if !matches!(g.civility.as_str(), "1" | "2") {
        errors.insert(f("civility"), "Indiquez la civilité du responsable.");
    }
    check_text(errors, &f("last_name"), &g.last_name, true);
    check_text(errors, &f("first_name"), &g.first_name, true);
    if !Parente::ALL.iter().any(|p| p.code() == g.relationship) {
        errors.insert(f("relationship"), "Choisissez le lien avec l'élève.");
    }
    check_text(errors, &f("address"), &g.address, true);
    if g.address.chars().count() > 38 * 4 {
        errors.insert(
            f("address"),
            "L'adresse est trop longue (quatre lignes de 38 caractères au plus).",
        );
    }
    if !is_country(&g.country) {
        errors.insert(f("country"), "Choisissez le pays dans la liste.");
    } else if g.country == "100" {
        if g.postcode.len() != 5 || !g.postcode.bytes().all(|b| b.is_ascii_digit()) {
            errors.insert(
                f("postcode"),
                "Code postal invalide : 5 chiffres, par exemple 75012.",
            );
        }
        check_text(errors, &f("city"), &g.city, true);
    } else {
        check_text(errors, &f("city"), &g.city, true);
    }
    if g.city.chars().count() > 32 {
        errors.insert(
            f("city"),
            "Le nom de la commune est trop long (32 caractères au plus).",
        );
    }
    let digits = g.phone.chars().filter(char::is_ascii_digit).count();
    if !g.phone.is_empty()
        && (!g
            .phone
            .chars()
            .all(|c| c.is_ascii_digit() || " .+-()".contains(c))
            || !(9..=15).contains(&digits))
    {
        errors.insert(
            f("phone"),
            "Numéro de téléphone invalide. Format attendu : 06 12 34 56 78 ou +33 6 12 34 56 78.",
        );
    }
    if !g.email.is_empty()
        && (!g.email.contains('@') || g.email.contains(' ') || g.email.len() > 254)
    {
        errors.insert(
            f("email"),
            "Adresse électronique invalide. Format attendu : nom@domaine.fr.",
        );
    }
}

/// The form's checks; `school_uai` is the school's own (never last year's
/// school by default, check 38).
fn check(
    form: &NewPupilForm,
    choices: &Choices,
    known: Option<&KnownGuardian>,
    school_uai: &str,
) -> Errors {
    let (mefs, regimes) = (&choices.mefs, &choices.regimes);
    let mut errors = Errors::new();
    check_text(&mut errors, "last_name", &form.last_name, true);
    check_text(&mut errors, "first_name", &form.first_name, true);
    check_text(
        &mut errors,
        "other_first_names",
        &form.other_first_names,
        false,
    );
    if !matches!(form.sex.as_str(), "F" | "M") {
        errors.insert("sex".into(), "Indiquez le sexe de l'élève.");
    }
    match chrono::NaiveDate::parse_from_str(&form.birth_date, "%Y-%m-%d") {
        Err(_) => {
            errors.insert(
                "birth_date".into(),
                "Date invalide. Format attendu : JJ/MM/AAAA.",
            );
        }
        Ok(date) => {
            let today = chrono::Utc::now().date_naive();
            if today
                .years_since(date)
                .is_none_or(|age| !(8..=25).contains(&age))
            {
                errors.insert(
                    "birth_date".into(),
                    "Cette date ne correspond pas à l'âge d'un collégien.",
                );
            }
        }
    }
    if !is_country(&form.birth_country) {
        errors.insert(
            "birth_country".into(),
            "Choisissez le pays de naissance dans la liste.",
        );
    } else if form.birth_country == "100" {
        if !birthplace::is_insee_commune(&form.birth_commune_insee) {
            errors.insert(
                "birth_commune_insee".into(),
                "Code INSEE de la commune invalide : 5 caractères, par exemple 75112 pour Paris 12e (ce n'est pas le code postal).",
            );
        }
    } else {
        check_text(
            &mut errors,
            "birth_town_abroad",
            &form.birth_town_abroad,
            true,
        );
        if form.birth_town_abroad.chars().count() > 32 {
            errors.insert(
                "birth_town_abroad".into(),
                "Le nom de la ville est trop long (32 caractères au plus).",
            );
        }
    }
    if !is_country(&form.nationality) {
        errors.insert(
            "nationality".into(),
            "Choisissez la nationalité dans la liste.",
        );
    }
    if !mefs.iter().any(|m| m.code == form.entry_mef) {
        errors.insert(
            "entry_mef".into(),
            "Choisissez la classe de l'élève à la rentrée.",
        );
    }
    if !regimes.iter().any(|(code, _)| code == &form.regime) {
        errors.insert("regime".into(), "Choisissez le régime de l'élève.");
    }
    if !matches!(form.transport.as_str(), "oui" | "non") {
        errors.insert(
            "transport".into(),
            "Indiquez si l'élève prend le transport scolaire.",
        );
    }
    if !matches!(form.repeating.as_str(), "oui" | "non") {
        errors.insert("repeating".into(), "Indiquez si l'élève redouble.");
    }
    match form.previous_kind.as_str() {
        "uai" => match Uai::from_str(&form.previous_uai) {
            Err(_) => {
                errors.insert(
                    "previous_uai".into(),
                    "Code UAI invalide : 7 chiffres et une lettre clé, par exemple 0750680G.",
                );
            }
            Ok(uai) if uai.as_str() == school_uai => {
                errors.insert(
                    "previous_uai".into(),
                    "C'est le code de votre établissement : indiquez l'école ou le collège de l'an dernier.",
                );
            }
            Ok(_) => {}
        },
        "departement" => {
            if birthplace::department_code(&form.previous_department).is_none() {
                errors.insert(
                    "previous_department".into(),
                    "Département invalide : par exemple 75, 2A ou 971.",
                );
            }
        }
        _ => {
            errors.insert(
                "previous_kind".into(),
                "Indiquez l'établissement de l'an dernier.",
            );
        }
    }
    // The provenance, among the nomenclature's (none known: the return file
    // says it is missing).
    if !choices.provenances.is_empty()
        && !choices
            .provenances
            .iter()
            .any(|p| p.code == form.provenance)
    {
        errors.insert(
            "provenance".into(),
            "Choisissez la provenance de l'élève dans la liste.",
        );
    }
    // A guardian already known (of the school's pupils only: `known` is
    // looked up in the school), or the first one typed.
    if !form.known_guardian.is_empty() {
        if known.is_none() {
            errors.insert(
                "known_guardian".into(),
                "Choisissez le responsable dans la liste.",
            );
        }
        if !Parente::ALL
            .iter()
            .any(|p| p.code() == form.known_relationship)
        {
            errors.insert(
                "known_relationship".into(),
                "Choisissez le lien avec l'élève.",
            );
        }
        for field in ["known_lives_with", "known_pays"] {
            let value = if field == "known_pays" {
                &form.known_pays
            } else {
                &form.known_lives_with
            };
            if !matches!(value.as_str(), "oui" | "non") {
                errors.insert(field.into(), "Répondez par oui ou par non.");
            }
        }
    }
    let g1 = form.guardian(1);
    if form.known_guardian.is_empty() || !g1.last_name.is_empty() || !g1.first_name.is_empty() {
        check_guardian(&mut errors, 1, &g1);
    }
    let g2 = form.guardian(2);
    if !g2.last_name.is_empty() || !g2.first_name.is_empty() {
        check_guardian(&mut errors, 2, &g2);
    }
    errors
}

fn new_guardian(g: &GuardianFields) -> NewGuardian {
    NewGuardian {
        civility: if g.civility == "1" {
            "M.".into()
        } else {
            "MME".into()
        },
        civility_code: g.civility.clone(),
        last_name: g.last_name.clone(),
        first_name: g.first_name.clone(),
        relationship_code: g.relationship.clone(),
        address_lines: g.address.clone(),
        postcode: if g.country == "100" {
            g.postcode.clone()
        } else {
            String::new()
        },
        city: g.city.clone(),
        country_code: g.country.clone(),
        phone_mobile: g.phone.clone(),
        email: g.email.clone(),
        lives_with_pupil: g.lives_with == "oui",
        pays_fees: g.pays == "oui",
    }
}

fn new_pupil(form: &NewPupilForm, known: Option<&KnownGuardian>) -> NewPupil {
    let in_france = form.birth_country == "100";
    let mut guardians = Vec::new();
    for n in [1, 2] {
        let g = form.guardian(n);
        if !g.last_name.is_empty() || !g.first_name.is_empty() {
            guardians.push(new_guardian(&g));
        }
    }
    let by_uai = form.previous_kind == "uai";
    NewPupil {
        last_name: form.last_name.clone(),
        first_name: form.first_name.clone(),
        other_first_names: form.other_first_names.clone(),
        sex: form.sex.clone(),
        birth_date: form.birth_date.clone(),
        birth_country_code: form.birth_country.clone(),
        birth_commune_insee: if in_france {
            form.birth_commune_insee.clone()
        } else {
            String::new()
        },
        birth_town_abroad: if in_france {
            String::new()
        } else {
            form.birth_town_abroad.clone()
        },
        nationality_code: form.nationality.clone(),
        entry_mef_code: form.entry_mef.clone(),
        regime_code: form.regime.clone(),
        school_transport: form.transport == "oui",
        repeating: form.repeating == "oui",
        last_year_uai: if by_uai {
            form.previous_uai.clone()
        } else {
            String::new()
        },
        last_year_department: if by_uai {
            String::new()
        } else {
            birthplace::department_code(&form.previous_department).unwrap_or_default()
        },
        provenance_code: form.provenance.clone(),
        known_guardian: known.map(|k| KnownLink {
            guardian_id: k.id,
            relationship_code: form.known_relationship.clone(),
            lives_with_pupil: form.known_lives_with == "oui",
            pays_fees: form.known_pays == "oui",
        }),
        guardians,
    }
}

/// A guardian's block of the form: its fields (`g{n}_…`) and their errors.
pub struct GuardianBlock {
    pub n: u8,
    pub fields: GuardianFields,
    errors: Errors,
}

impl GuardianBlock {
    pub fn id(&self, name: &str) -> String {
        format!("g{}_{name}", self.n)
    }

    pub fn error(&self, name: &str) -> Option<&&'static str> {
        self.errors.get(&self.id(name))
    }

    pub fn required(&self) -> bool {
        self.n == 1
    }
}

/// A guardian already known, as the form offers them: (id, words).
fn known_choice(g: &KnownGuardian) -> (String, String) {
    let civility = match g.civility_code.as_str() {
        "1" => "Monsieur",
        "2" => "Madame",
        _ => "",
    };
    let pupils: Vec<String> = g
        .pupils
        .iter()
        .map(|(first, last, division)| {
            if division.is_empty() {
                format!("{first} {last}")
            } else {
                format!("{first} {last} ({division})")
            }
        })
        .collect();
    (
        g.id.to_string(),
        format!(
            "{}, responsable de {}",
            crate::domain::words::person(civility, &g.first_name, &g.last_name),
            pupils.join(", ")
        ),
    )
}

/// (value, words) of two-way choices.
fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(v, w)| ((*v).to_owned(), (*w).to_owned()))
        .collect()
}

#[derive(Template)]
#[template(path = "school/new_pupil.html")]
pub struct NewPupilPage {
    pub chrome: Chrome,
    pub uai: String,
    pub form: NewPupilForm,
    pub guardians: Vec<GuardianBlock>,
    pub errors: Errors,
    pub sexes: Vec<(String, String)>,
    pub yes_no: Vec<(String, String)>,
    pub civilities: Vec<(String, String)>,
    pub previous_kinds: Vec<(String, String)>,
    /// (code, label), France first then by label.
    pub countries: Vec<(String, String)>,
    /// (code, nationality), French first then by nationality.
    pub nationalities: Vec<(String, String)>,
    pub links: Vec<(String, String)>,
    pub mefs: Vec<(String, String)>,
    pub regimes: Vec<(String, String)>,
    /// (code, words) of the nomenclature's provenances; empty when the school's
    /// Nomenclature export did not give them.
    pub provenances: Vec<(String, String)>,
    /// Pupils of the school with the same names and birth date (check 15).
    pub homonyms: Vec<Homonym>,
    /// The guardians already known the agent may link (id, words): those
    /// found by the search, and the one chosen.
    pub known_choices: Vec<(String, String)>,
    /// A search was made (its results, or none, are shown).
    pub searched: bool,
}

impl NewPupilPage {
    pub fn error(&self, field: &str) -> Option<&&'static str> {
        self.errors.get(field)
    }
}

async fn page(
    state: &AppState,
    agent: &CurrentAgent<ManageSchool>,
    chrome: Chrome,
    form: NewPupilForm,
    errors: Errors,
    homonyms: Vec<Homonym>,
) -> Result<NewPupilPage, AppError> {
    let pool = state.db.pool();
    let searched = form.action == "chercher";
    let mut known = if searched {
        new_pupils::search_guardians(pool, agent.scope(), &form.known_search).await?
    } else {
        Vec::new()
    };
    if let Ok(id) = form.known_guardian.parse::<i64>()
        && !known.iter().any(|g| g.id == id)
        && let Some(g) = new_pupils::known_guardian(pool, agent.scope(), id).await?
    {
        known.insert(0, g);
    }
    let Choices {
        mefs,
        regimes,
        provenances,
    } = choices(state, agent).await?;
    let sorted = |mut v: Vec<(String, String)>| {
        v.sort_by_key(|(code, label)| (code != "100", crate::domain::words::folded_name(label)));
        v
    };
    let countries = sorted(
        PAYS.iter()
            .map(|p| (p.code.to_owned(), p.label.to_owned()))
            .collect(),
    );
    let nationalities = sorted(
        PAYS.iter()
            .filter(|p| !p.nationalite.is_empty())
            .map(|p| (p.code.to_owned(), p.nationalite.to_owned()))
            .collect(),
    );
    Ok(NewPupilPage {
        chrome,
        uai: agent.school_uai.clone(),
        guardians: [1, 2]
            .into_iter()
            .map(|n| GuardianBlock {
                n,
                fields: form.guardian(n),
                errors: errors.clone(),
            })
            .collect(),
        form,
        errors,
        sexes: pairs(&[("F", "Féminin"), ("M", "Masculin")]),
        yes_no: pairs(&[("oui", "Oui"), ("non", "Non")]),
        civilities: pairs(&[("2", "Madame"), ("1", "Monsieur")]),
        previous_kinds: pairs(&[
            ("uai", "Je connais son code UAI"),
            ("departement", "Je ne connais que son département"),
        ]),
        countries,
        nationalities,
        links: Parente::ALL
            .iter()
            .map(|p| (p.code().to_owned(), p.label().to_owned()))
            .collect(),
        mefs: mefs.into_iter().map(|m| (m.code, m.label)).collect(),
        regimes,
        provenances: provenances.into_iter().map(|p| (p.code, p.label)).collect(),
        homonyms,
        known_choices: known.iter().map(known_choice).collect(),
        searched,
    })
}

/// What the agent chooses among.
struct Choices {
    mefs: Vec<new_pupils::Mef>,
    /// (code, words).
    regimes: Vec<(String, String)>,
    provenances: Vec<new_pupils::Provenance>,
}

/// The school's MEFs, régimes (the régimes its pupils have in SIECLE, else
/// every régime SIECLE knows) and provenances (its nomenclature's).
async fn choices(
    state: &AppState,
    agent: &CurrentAgent<ManageSchool>,
) -> Result<Choices, AppError> {
    let pool = state.db.pool();
    let mefs = new_pupils::mefs(pool, agent.scope()).await?;
    let mut codes = new_pupils::regimes(pool, agent.scope()).await?;
    if codes.is_empty() {
        codes = Regime::ALL.iter().map(|r| r.code().to_owned()).collect();
    }
    let regimes = codes
        .into_iter()
        .map(|c| {
            let label = Regime::from_code(&c).label().to_owned();
            (c, label)
        })
        .filter(|(_, label)| !label.is_empty())
        .collect();
    let provenances = new_pupils::provenances(pool, agent.scope()).await?;
    Ok(Choices {
        mefs,
        regimes,
        provenances,
    })
}

/// `GET …/eleves/nouveau`.
pub async fn new(
    State(state): State<AppState>,
    agent: CurrentAgent<ManageSchool>,
    chrome: Chrome,
) -> Result<Response, AppError> {
    let page = page(
        &state,
        &agent,
        chrome,
        NewPupilForm::blank(),
        Errors::new(),
        Vec::new(),
    )
    .await?;
    Ok(render(&page)?.into_response())
}

/// `POST …/eleves`.
pub async fn create(
    State(state): State<AppState>,
    agent: CurrentAgent<ManageSchool>,
    chrome: Chrome,
    Form(form): Form<NewPupilForm>,
) -> Result<Response, AppError> {
    let form = form.cleaned();
    if form.action == "chercher" {
        let page = page(&state, &agent, chrome, form, Errors::new(), Vec::new()).await?;
        return Ok(render(&page)?.into_response());
    }
    let choices = choices(&state, &agent).await?;
    let pool = state.db.pool();
    let known = match form.known_guardian.parse::<i64>() {
        Ok(id) => new_pupils::known_guardian(pool, agent.scope(), id).await?,
        Err(_) => None,
    };
    let errors = check(&form, &choices, known.as_ref(), &agent.school_uai);
    if !errors.is_empty() {
        let page = page(&state, &agent, chrome, form, errors, Vec::new()).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
    }
    let homonyms = new_pupils::homonyms(
        pool,
        agent.scope(),
        &form.last_name,
        &form.first_name,
        &form.birth_date,
    )
    .await?;
    if !homonyms.is_empty() && form.homonym_confirmed != "oui" {
        let page = page(&state, &agent, chrome, form, Errors::new(), homonyms).await?;
        return Ok((StatusCode::CONFLICT, render(&page)?).into_response());
    }
    let mut tx = state.db.begin().await?;
    let Some((pupil_id, dossier_id)) =
        new_pupils::create(&mut tx, agent.scope(), &new_pupil(&form, known.as_ref())).await?
    else {
        return Err(AppError::NotFound);
    };
    agent
        .audit(
            &mut *tx,
            "pupil_created",
            &format!("pupil:{pupil_id} dossier:{dossier_id}"),
        )
        .await?;
    tx.commit().await?;
    Ok(redirect_with_flash(
        &state,
        &format!("/etablissements/{}/dossiers/{dossier_id}", agent.school_uai),
        Flash::success(
            "Élève créé. Remplissez son dossier avec la famille, ou donnez-lui un code pour qu'elle le continue.",
        ),
    ))
}
