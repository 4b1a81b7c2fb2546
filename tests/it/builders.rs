//! Builders for test data: a test states only what matters to it (a school,
//! an agent with a role, a pupil with guardians, a dossier in a given state)
//! instead of loading the whole demo.
//!
//! ```ignore
//! let school = SchoolBuilder::new("0750680G").build(&app).await;
//! let agent = school.agent(&app, "direction@voisin.fr", Role::Admin).await;
//! let family = school
//!     .pupil("MARTIN", "Léa")
//!     .guardian(GuardianBuilder::new("MARTIN", "Julie").code("AAAA-BBBB-CCCC"))
//!     .state(DossierState::Submitted)
//!     .build(&app)
//!     .await;
//! ```

use std::sync::LazyLock;

use dossiersco::campaign::school_year_starting;
use dossiersco::db::now_ms;
use dossiersco::domain::Role;
use dossiersco::domain::access_code;
use dossiersco::domain::dossier_state::DossierState;

use crate::harness::TestApp;

/// The password of every agent made by [`BuiltSchool::agent`].
pub const AGENT_PASSWORD: &str = "mot de passe de test";

/// Hashed once per test binary (argon2 is slow on purpose).
pub static AGENT_PASSWORD_HASH: LazyLock<String> = LazyLock::new(|| {
    dossiersco::auth::passwords::hash_password(AGENT_PASSWORD).expect("hashing works")
});

pub struct SchoolBuilder {
    uai: String,
    name: String,
}

/// A school and its current campaign.
pub struct BuiltSchool {
    pub id: i64,
    pub uai: String,
    pub campaign_id: i64,
}

impl SchoolBuilder {
    pub fn new(uai: &str) -> Self {
        Self {
            uai: uai.to_owned(),
            name: format!("Collège {uai}"),
        }
    }

    pub fn name(mut self, name: &str) -> Self {
        self.name = name.to_owned();
        self
    }

    pub async fn build(self, app: &TestApp) -> BuiltSchool {
        let pool = app.db().pool();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO schools (uai, name, created_at) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(&self.uai)
        .bind(&self.name)
        .bind(now_ms())
        .fetch_one(pool)
        .await
        .unwrap();
        let campaign_id: i64 = sqlx::query_scalar(
            "INSERT INTO campaigns (school_id, school_year, created_at) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(id)
        .bind(school_year_starting())
        .bind(now_ms())
        .fetch_one(pool)
        .await
        .unwrap();
        BuiltSchool {
            id,
            uai: self.uai,
            campaign_id,
        }
    }
}

/// Makes `email` an agent of `school_id` with `roles` and this password hash
/// (through the same function as the demo's accounts).
pub async fn add_agent(
    app: &TestApp,
    school_id: i64,
    email: &str,
    roles: &[Role],
    password_hash: &str,
) -> i64 {
    let mut tx = app.db().begin().await.unwrap();
    let id = dossiersco::team::upsert_agent_with_password(
        &mut tx,
        school_id,
        email,
        &format!("Agent {}", dossiersco::domain::RoleSet::of(roles).labels()),
        dossiersco::domain::RoleSet::of(roles),
        password_hash,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id
}

impl BuiltSchool {
    /// An agent of this school with `role`, password [`AGENT_PASSWORD`].
    pub async fn agent(&self, app: &TestApp, email: &str, role: Role) -> i64 {
        self.agent_with_roles(app, email, &[role]).await
    }

    /// An agent of this school with several roles, password [`AGENT_PASSWORD`]
    /// (an agent of another school too, if the e-mail is theirs).
    pub async fn agent_with_roles(&self, app: &TestApp, email: &str, roles: &[Role]) -> i64 {
        add_agent(app, self.id, email, roles, &AGENT_PASSWORD_HASH).await
    }

    /// A pupil of this school, to describe before [`PupilBuilder::build`].
    pub fn pupil(&self, last_name: &str, first_name: &str) -> PupilBuilder {
        PupilBuilder {
            school_id: self.id,
            campaign_id: self.campaign_id,
            last_name: last_name.to_owned(),
            first_name: first_name.to_owned(),
            birth_date: "2013-05-14".to_owned(),
            division: String::new(),
            guardians: Vec::new(),
            existing_guardians: Vec::new(),
            state: DossierState::NotStarted,
        }
    }
}

pub struct GuardianBuilder {
    last_name: String,
    first_name: String,
    email: String,
    address: String,
    code: Option<String>,
}

impl GuardianBuilder {
    pub fn new(last_name: &str, first_name: &str) -> Self {
        Self {
            last_name: last_name.to_owned(),
            first_name: first_name.to_owned(),
            email: format!(
                "{}.{}@exemple.fr",
                first_name.to_lowercase(),
                last_name.to_lowercase()
            ),
            address: "1 rue de la République".to_owned(),
            code: None,
        }
    }

    /// The guardian's personal code (as printed on the letter).
    pub fn code(mut self, code: &str) -> Self {
        self.code = Some(code.to_owned());
        self
    }

    /// The guardian's e-mail as SIECLE knows it ("" for none).
    pub fn email(mut self, email: &str) -> Self {
        self.email = email.to_owned();
        self
    }

    /// Where the guardian lives, as SIECLE knows it.
    pub fn address(mut self, lines: &str) -> Self {
        self.address = lines.to_owned();
        self
    }
}

pub struct PupilBuilder {
    school_id: i64,
    campaign_id: i64,
    last_name: String,
    first_name: String,
    birth_date: String,
    division: String,
    guardians: Vec<GuardianBuilder>,
    /// Guardians made with another pupil (brothers and sisters).
    existing_guardians: Vec<i64>,
    state: DossierState,
}

/// What [`PupilBuilder::build`] made.
pub struct BuiltDossier {
    pub pupil_id: i64,
    pub dossier_id: i64,
    pub guardian_ids: Vec<i64>,
    pub birth_date: String,
}

impl PupilBuilder {
    pub fn born(mut self, date: &str) -> Self {
        self.birth_date = date.to_owned();
        self
    }

    pub fn guardian(mut self, guardian: GuardianBuilder) -> Self {
        self.guardians.push(guardian);
        self
    }

    /// The pupil's class this year.
    pub fn division(mut self, division: &str) -> Self {
        self.division = division.to_owned();
        self
    }

    /// A guardian already made with a brother or sister, after the new ones.
    pub fn existing_guardian(mut self, guardian_id: i64) -> Self {
        self.existing_guardians.push(guardian_id);
        self
    }

    /// The state of the pupil's dossier in the current campaign.
    pub fn state(mut self, state: DossierState) -> Self {
        self.state = state;
        self
    }

    pub async fn build(self, app: &TestApp) -> BuiltDossier {
        let pool = app.db().pool();
        let now = now_ms();
        let pupil_id: i64 = sqlx::query_scalar(
            "INSERT INTO pupils (school_id, last_name, first_name, sex, birth_date, division, created_at, updated_at)
             VALUES ($1, $2, $3, 'F', $4, $6, $5, $5) RETURNING id",
        )
        .bind(self.school_id)
        .bind(&self.last_name)
        .bind(&self.first_name)
        .bind(&self.birth_date)
        .bind(now)
        .bind(&self.division)
        .fetch_one(pool)
        .await
        .unwrap();
        let mut guardian_ids = Vec::new();
        for (rank, guardian) in self.guardians.iter().enumerate() {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO guardians (school_id, last_name, first_name, email, address_lines, postcode, city,
                     access_code_hash, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, '75011', 'Paris', $6, $7, $7) RETURNING id",
            )
            .bind(self.school_id)
            .bind(&guardian.last_name)
            .bind(&guardian.first_name)
            .bind(&guardian.email)
            .bind(&guardian.address)
            .bind(guardian.code.as_deref().map(access_code::hash))
            .bind(now)
            .fetch_one(pool)
            .await
            .unwrap();
            sqlx::query(
                "INSERT INTO guardianships (pupil_id, guardian_id, rank, relationship_code)
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(pupil_id)
            .bind(id)
            .bind(rank as i64 + 1)
            .bind(if rank == 0 { "20" } else { "10" })
            .execute(pool)
            .await
            .unwrap();
            guardian_ids.push(id);
        }
        for &id in &self.existing_guardians {
            let rank = guardian_ids.len() as i64 + 1;
            sqlx::query(
                "INSERT INTO guardianships (pupil_id, guardian_id, rank, relationship_code)
                 VALUES ($1, $2, $3, '20')",
            )
            .bind(pupil_id)
            .bind(id)
            .bind(rank)
            .execute(pool)
            .await
            .unwrap();
            guardian_ids.push(id);
        }
        let dossier_id: i64 = sqlx::query_scalar(
            "INSERT INTO dossiers (campaign_id, pupil_id, state, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $4) RETURNING id",
        )
        .bind(self.campaign_id)
        .bind(pupil_id)
        .bind(self.state.code())
        .bind(now)
        .fetch_one(pool)
        .await
        .unwrap();
        BuiltDossier {
            pupil_id,
            dossier_id,
            guardian_ids,
            birth_date: self.birth_date,
        }
    }
}

// ------------------------------------------------------------------ tests

async fn a_built_school_lets_its_agent_and_its_family_sign_in(app: TestApp) {
    let school = SchoolBuilder::new("0750680G")
        .name("Collège Voisin")
        .build(&app)
        .await;
    school.agent(&app, "cpe@voisin.fr", Role::VieScolaire).await;
    let dossier = school
        .pupil("MARTIN", "Léa")
        .born("2013-02-01")
        .guardian(GuardianBuilder::new("MARTIN", "Julie").code("AAAA-BBBB-CCCC"))
        .guardian(GuardianBuilder::new("MARTIN", "Paul").address("3 impasse des Lilas"))
        .state(DossierState::Started)
        .build(&app)
        .await;
    let linked: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM guardianships WHERE pupil_id = $1")
        .bind(dossier.pupil_id)
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    assert_eq!(linked, dossier.guardian_ids.len() as i64);

    let agent = app.sign_in_agent("cpe@voisin.fr", AGENT_PASSWORD).await;
    assert_eq!(agent.headers()["location"], "/etablissements/0750680G");
    let dashboard = app.get_html("/etablissements/0750680G").await.1;
    assert!(dashboard.contains("Collège Voisin") && dashboard.contains("Vie scolaire"));

    let family = TestApp::client_for(&app);
    let signed_in = app
        .post_form_as(
            &family,
            "/famille/connexion",
            "/famille/connexion",
            &[
                ("code", "aaaa bbbb cccc"),
                ("birth_date", dossier.birth_date.as_str()),
            ],
        )
        .await;
    assert_eq!(signed_in.status(), 303);
    assert!(
        signed_in.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with(&format!("/famille/dossiers/{}/", dossier.dossier_id))
    );
    app.finish().await;
}

crate::on_both_databases!(a_built_school_lets_its_agent_and_its_family_sign_in);
