//! The demo collège: synthetic pupils, guardians, MEF, options, expected
//! documents and one agent per role, created idempotently by
//! `dossiersco demo` (and by tests that want a populated school).

use std::fmt::Write;

use crate::app::AppState;
use crate::auth::passwords::hash_password;
use crate::db::{Tx, agents, now_ms, schools};
use crate::domain::{Role, Uai, access_code};

/// The password of every demo agent (printed by the demo; demo data only).
pub const DEMO_PASSWORD: &str = "demo-dossiersco";
pub const DEMO_UAI_PREFIX: &str = "0759999";

/// What the demo created, to print.
#[derive(Debug)]
pub struct Seeded {
    pub uai: String,
    pub school_name: String,
    pub pupils: i64,
    pub agents: Vec<(Role, String)>,
    /// (who, access code, child(ren) and birth date)
    pub families: Vec<(String, String, String)>,
}

pub fn demo_uai() -> String {
    let key = Uai::key_for(DEMO_UAI_PREFIX).expect("7 digits");
    format!("{DEMO_UAI_PREFIX}{key}")
}

/// A small deterministic generator (SplitMix64): same demo on every machine.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn pick(&mut self, items: &[&'static str]) -> &'static str {
        items[(self.next() % items.len() as u64) as usize]
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const LAST_NAMES: &[&str] = &[
    "Bernard",
    "Petit",
    "Robert",
    "Richard",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefèvre",
    "Michel",
    "Garcia",
    "David",
    "Bertrand",
    "Roux",
    "Vincent",
    "Fournier",
    "Morel",
    "Girard",
    "André",
    "Mercier",
    "Dupont",
    "Lambert",
    "Bonnet",
    "François",
    "Martinez",
    "Legrand",
    "Garnier",
    "Faure",
    "Rousseau",
    "Benali",
    "Diallo",
    "Traoré",
    "Nguyen",
    "Da Silva",
    "Kowalski",
    "Haddad",
    "Ferreira",
    "Le Gall",
    "Ménard",
];
const GIRLS: &[&str] = &[
    "Emma",
    "Jade",
    "Louise",
    "Alice",
    "Chloé",
    "Lina",
    "Léna",
    "Mia",
    "Inès",
    "Léonie",
    "Anna",
    "Zoé",
    "Agathe",
    "Maëlys",
    "Aïcha",
    "Héloïse",
    "Noémie",
    "Yasmine",
    "Éloïse",
    "Manon",
];
const BOYS: &[&str] = &[
    "Gabriel", "Léo", "Raphaël", "Louis", "Arthur", "Jules", "Adam", "Maël", "Lucas", "Hugo",
    "Noah", "Sacha", "Mohamed", "Gabin", "Nathan", "Aaron", "Éthan", "Timéo", "Noé", "Côme",
];
const STREETS: &[&str] = &[
    "rue de la République",
    "avenue Jean Jaurès",
    "rue Victor Hugo",
    "boulevard Voltaire",
    "rue des Écoles",
    "allée des Tilleuls",
    "rue Pasteur",
    "place de la Mairie",
    "rue du Moulin",
    "impasse des Lilas",
];

/// (code, label, next-year index)
const MEFS: [(&str, &str); 4] = [
    ("10010012110", "6EME"),
    ("10110001110", "5EME"),
    ("10210001110", "4EME"),
    ("10310019110", "3EME"),
];
/// (code matière, label, explanation)
const OPTIONS: [(&str, &str, &str); 4] = [
    ("030201", "Anglais LV1", ""),
    (
        "030602",
        "Espagnol LV2",
        "Deuxième langue vivante, à partir de la 5e.",
    ),
    (
        "030102",
        "Allemand LV2",
        "Deuxième langue vivante, à partir de la 5e.",
    ),
    (
        "020700",
        "Latin",
        "Langues et cultures de l'Antiquité, 2 heures par semaine, à partir de la 5e.",
    ),
];

/// Creates or refreshes the demo collège; safe to run again.
pub async fn seed(state: &AppState) -> anyhow::Result<Seeded> {
    let uai = demo_uai();
    let school_name = "Collège Lucie Aubrac (démonstration)".to_string();
    let password_hash = hash_password(DEMO_PASSWORD)?;
    let mut tx = state.db.begin().await?;
    let school_id = schools::upsert(&mut *tx, &uai, &school_name, "Paris", "Paris").await?;
    let mut demo_agents = Vec::new();
    for (role, name, email) in [
        (
            Role::Admin,
            "Claire Fontaine",
            "direction@demo.dossiersco.fr",
        ),
        (
            Role::Secretariat,
            "Karim Belkacem",
            "secretariat@demo.dossiersco.fr",
        ),
        (
            Role::Intendance,
            "Sophie Marchand",
            "intendance@demo.dossiersco.fr",
        ),
        (Role::VieScolaire, "Julien Perrin", "cpe@demo.dossiersco.fr"),
        (
            Role::Infirmerie,
            "Amina Saïdi",
            "infirmerie@demo.dossiersco.fr",
        ),
    ] {
        agents::upsert(
            &mut *tx,
            school_id,
            email,
            name,
            role.code(),
            &password_hash,
        )
        .await?;
        demo_agents.push((role, email.to_string()));
    }
    let existing: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM pupils WHERE school_id = $1")
        .bind(school_id)
        .fetch_one(&mut *tx)
        .await?;
    if existing == 0 {
        seed_school(&mut tx, school_id).await?;
    }
    seed_school_settings(&mut tx, school_id).await?;
    let families = issue_demo_codes(state, &mut tx, school_id).await?;
    let pupils: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM pupils WHERE school_id = $1")
        .bind(school_id)
        .fetch_one(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Seeded {
        uai,
        school_name,
        pupils,
        agents: demo_agents,
        families,
    })
}

async fn seed_school(tx: &mut Tx, school_id: i64) -> anyhow::Result<()> {
    let now = now_ms();
    let year = crate::campaign::school_year_starting();
    let campaign_id: i64 = sqlx::query_scalar(
        "INSERT INTO campaigns (school_id, school_year, opens_on, closes_on, welcome_text, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(school_id)
    .bind(year)
    .bind(format!("{year}-05-02"))
    .bind(format!("{year}-06-15"))
    .bind("Bienvenue ! Vérifiez les informations de votre enfant et dites-nous seulement ce qui a changé.")
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;

    let mut mef_ids = Vec::new();
    for (code, label) in MEFS {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO mefs (school_id, code, label) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(school_id)
        .bind(code)
        .bind(label)
        .fetch_one(&mut **tx)
        .await?;
        mef_ids.push(id);
    }
    for pair in mef_ids.windows(2) {
        sqlx::query("UPDATE mefs SET next_mef_id = $2 WHERE id = $1")
            .bind(pair[0])
            .bind(pair[1])
            .execute(&mut **tx)
            .await?;
    }
    let mut option_ids = Vec::new();
    for (code, label, explanation) in OPTIONS {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO subject_options (school_id, code, label, explanation) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(school_id)
        .bind(code)
        .bind(label)
        .bind(explanation)
        .fetch_one(&mut **tx)
        .await?;
        option_ids.push(id);
    }
    for (level, mef_id) in mef_ids.iter().enumerate() {
        for (n, option_id) in option_ids.iter().enumerate() {
            // English everywhere (mandatory); LV2 and Latin from 5e, Latin can be dropped.
            let (modality, can_drop, open) = match n {
                0 => ("O", false, false),
                1 | 2 if level >= 1 => ("O", false, level == 1),
                3 if level >= 1 => ("F", true, true),
                _ => continue,
            };
            sqlx::query(
                "INSERT INTO mef_options (mef_id, option_id, modality, can_drop, open_to_new) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(mef_id)
            .bind(option_id)
            .bind(modality)
            .bind(can_drop)
            .bind(open)
            .execute(&mut **tx)
            .await?;
        }
    }
    for (position, (label, explanation, mandatory)) in [
        ("Attestation d'assurance scolaire", "Responsabilité civile et individuelle accident, pour l'année qui vient. Vous pouvez aussi l'apporter à la rentrée.", false),
        ("Justificatif de domicile", "Seulement si vous avez déménagé depuis l'an dernier : facture ou quittance de moins de 3 mois.", false),
        ("Attestation de quotient familial (CAF)", "Pour bénéficier du tarif de demi-pension qui correspond à vos revenus.", false),
    ]
    .into_iter()
    .enumerate()
    {
        sqlx::query(
            "INSERT INTO expected_documents (school_id, label, explanation, mandatory, position) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(school_id)
        .bind(label)
        .bind(explanation)
        .bind(mandatory)
        .bind(position as i64)
        .execute(&mut **tx)
        .await?;
    }

    let mut rng = Rng(2027);
    let mut seq = 0_i64;
    // The featured families first, then ordinary ones.
    let martin = add_guardian(
        tx, school_id, &mut rng, &mut seq, "MME", "Martin", "Sandrine", None,
    )
    .await?;
    let martin2 = add_guardian(
        tx,
        school_id,
        &mut rng,
        &mut seq,
        "M.",
        "Martin",
        "Olivier",
        Some(martin.1.clone()),
    )
    .await?;
    for (first, sex, level, birth) in [("Léa", "F", 1, year - 13), ("Hugo", "M", 3, year - 15)] {
        let pupil = add_pupil(
            tx,
            school_id,
            campaign_id,
            &mef_ids,
            &option_ids,
            &mut seq,
            "Martin",
            first,
            sex,
            level,
            birth,
        )
        .await?;
        link(tx, pupil, martin.0, 1, "10").await?;
        link(tx, pupil, martin2.0, 2, "20").await?;
    }
    let mother = add_guardian(
        tx, school_id, &mut rng, &mut seq, "MME", "Nguyen", "Thi Lan", None,
    )
    .await?;
    let father = add_guardian(
        tx, school_id, &mut rng, &mut seq, "M.", "Dubois", "Marc", None,
    )
    .await?;
    let ines = add_pupil(
        tx,
        school_id,
        campaign_id,
        &mef_ids,
        &option_ids,
        &mut seq,
        "Dubois",
        "Inès",
        "F",
        2,
        year - 14,
    )
    .await?;
    link(tx, ines, mother.0, 1, "10").await?;
    link(tx, ines, father.0, 2, "20").await?;

    while seq < 240 {
        let last = rng.pick(LAST_NAMES).to_string();
        let mother_name = rng_first(&mut rng, "F");
        let g1 = add_guardian(
            tx,
            school_id,
            &mut rng,
            &mut seq,
            "MME",
            &last,
            mother_name,
            None,
        )
        .await?;
        let with_second = rng.below(10) < 8;
        let g2 = if with_second {
            let same_address = rng.below(10) < 8;
            let address = same_address.then(|| g1.1.clone());
            let father_name = rng_first(&mut rng, "M");
            Some(
                add_guardian(
                    tx,
                    school_id,
                    &mut rng,
                    &mut seq,
                    "M.",
                    &last,
                    father_name,
                    address,
                )
                .await?,
            )
        } else {
            None
        };
        let children = if rng.below(10) < 2 { 2 } else { 1 };
        for _ in 0..children {
            let sex = if rng.below(2) == 0 { "F" } else { "M" };
            let first = rng_first(&mut rng, sex).to_string();
            let level = rng.below(4) as usize;
            let birth = year - 12 - level as i64;
            let pupil = add_pupil(
                tx,
                school_id,
                campaign_id,
                &mef_ids,
                &option_ids,
                &mut seq,
                &last,
                &first,
                sex,
                level,
                birth,
            )
            .await?;
            link(tx, pupil, g1.0, 1, "10").await?;
            if let Some(g2) = &g2 {
                link(tx, pupil, g2.0, 2, "20").await?;
            }
        }
    }
    Ok(())
}

/// Régimes de sortie and demi-pension tariffs, when the school has none.
async fn seed_school_settings(tx: &mut Tx, school_id: i64) -> anyhow::Result<()> {
    let rules: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM exit_rules WHERE school_id = $1")
        .bind(school_id)
        .fetch_one(&mut **tx)
        .await?;
    if rules == 0 {
        for (position, (label, description)) in [
            ("Régime 1 : sortie en fin de journée", "L'élève reste au collège de la première à la dernière heure de cours de la journée, même en cas d'absence d'un professeur."),
            ("Régime 2 : sortie après le dernier cours", "L'élève peut quitter le collège après son dernier cours de la demi-journée."),
            ("Régime 3 : sortie libre", "L'élève peut quitter le collège dès qu'il n'a pas cours."),
        ]
        .into_iter()
        .enumerate()
        {
            sqlx::query("INSERT INTO exit_rules (school_id, label, description, position) VALUES ($1, $2, $3, $4)")
                .bind(school_id)
                .bind(label)
                .bind(description)
                .bind(position as i64)
                .execute(&mut **tx)
                .await?;
        }
    }
    let tariffs: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM canteen_tariffs WHERE school_id = $1")
            .bind(school_id)
            .fetch_one(&mut **tx)
            .await?;
    if tariffs == 0 {
        for (label, max, cents) in [
            ("Tarif 1", Some(450_i64), 150_i64),
            ("Tarif 2", Some(900), 300),
            ("Tarif 3", None, 450),
        ] {
            sqlx::query("INSERT INTO canteen_tariffs (school_id, label, quotient_max, price_cents) VALUES ($1, $2, $3, $4)")
                .bind(school_id)
                .bind(label)
                .bind(max)
                .bind(cents)
                .execute(&mut **tx)
                .await?;
        }
    }
    Ok(())
}

fn rng_first(rng: &mut Rng, sex: &str) -> &'static str {
    if sex == "F" {
        rng.pick(GIRLS)
    } else {
        rng.pick(BOYS)
    }
}

/// (id, address lines, postcode, city) of a new guardian.
#[expect(
    clippy::too_many_arguments,
    reason = "seed helpers take the generated fields one by one"
)]
async fn add_guardian(
    tx: &mut Tx,
    school_id: i64,
    rng: &mut Rng,
    seq: &mut i64,
    civility: &str,
    last: &str,
    first: &str,
    address: Option<(String, String, String)>,
) -> anyhow::Result<(i64, (String, String, String))> {
    *seq += 1;
    let address = address.unwrap_or_else(|| {
        (
            format!("{} {}", 1 + rng.below(120), rng.pick(STREETS)),
            format!("750{:02}", 1 + rng.below(20)),
            "Paris".into(),
        )
    });
    let login = format!("{}.{}", first, last)
        .to_lowercase()
        .replace([' ', '\''], "-");
    let ascii: String = login
        .chars()
        .map(|c| match c {
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'à' | 'â' => 'a',
            'ï' | 'î' => 'i',
            'ô' => 'o',
            'ù' | 'û' => 'u',
            'ç' => 'c',
            c => c,
        })
        .collect();
    let now = now_ms();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO guardians (school_id, siecle_personne_id, civility, last_name, first_name, email, phone_mobile,
             address_lines, postcode, city, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING id",
    )
    .bind(school_id)
    .bind(format!("{}", 900_000 + *seq))
    .bind(civility)
    .bind(last.to_uppercase())
    .bind(first)
    .bind(format!("{ascii}@exemple.fr"))
    .bind(format!("06{:08}", rng.below(100_000_000)))
    .bind(&address.0)
    .bind(&address.1)
    .bind(&address.2)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    Ok((id, address))
}

#[expect(
    clippy::too_many_arguments,
    reason = "seed helpers take the generated fields one by one"
)]
async fn add_pupil(
    tx: &mut Tx,
    school_id: i64,
    campaign_id: i64,
    mef_ids: &[i64],
    option_ids: &[i64],
    seq: &mut i64,
    last: &str,
    first: &str,
    sex: &str,
    level: usize,
    birth_year: i64,
) -> anyhow::Result<i64> {
    *seq += 1;
    let now = now_ms();
    let month = 1 + (*seq % 12);
    let day = 1 + (*seq * 7 % 28);
    let division = format!("{}{}", 6 - level, ["A", "B", "C"][(*seq % 3) as usize]);
    let pupil_id: i64 = sqlx::query_scalar(
        "INSERT INTO pupils (school_id, siecle_eleve_id, ine, last_name, first_name, sex, birth_date, birth_city,
             mef_id, division, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'Paris', $8, $9, $10, $10) RETURNING id",
    )
    .bind(school_id)
    .bind(format!("{}", 100_000 + *seq))
    .bind(format!("{:09}{}", 70_000_000 + *seq, ["AB", "CD", "EF", "GH"][(*seq % 4) as usize]))
    .bind(last.to_uppercase())
    .bind(first)
    .bind(sex)
    .bind(format!("{birth_year}-{month:02}-{day:02}"))
    .bind(mef_ids[level])
    .bind(division)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    let mut options = vec![option_ids[0]];
    if level >= 1 {
        options.push(option_ids[1 + (*seq % 2) as usize]);
        if *seq % 5 == 0 {
            options.push(option_ids[3]);
        }
    }
    for option in options {
        sqlx::query("INSERT INTO pupil_options (pupil_id, option_id) VALUES ($1, $2)")
            .bind(pupil_id)
            .bind(option)
            .execute(&mut **tx)
            .await?;
    }
    sqlx::query("INSERT INTO dossiers (campaign_id, pupil_id, created_at, updated_at) VALUES ($1, $2, $3, $3)")
        .bind(campaign_id)
        .bind(pupil_id)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(pupil_id)
}

async fn link(
    tx: &mut Tx,
    pupil: i64,
    guardian: i64,
    rank: i64,
    relationship: &str,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO guardianships (pupil_id, guardian_id, rank, relationship_code, legal_responsibility, pays_fees)
         VALUES ($1, $2, $3, $4, 1, $5)",
    )
    .bind(pupil)
    .bind(guardian)
    .bind(rank)
    .bind(relationship)
    .bind(rank == 1)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Gives the featured demo guardians stable codes derived from the secret key
/// (so they stay valid across runs) and describes them.
async fn issue_demo_codes(
    state: &AppState,
    tx: &mut Tx,
    school_id: i64,
) -> anyhow::Result<Vec<(String, String, String)>> {
    let featured: [(&str, &str, &str); 4] = [
        ("Famille avec deux enfants (mère)", "MARTIN", "Sandrine"),
        ("Famille séparée : la mère", "NGUYEN", "Thi Lan"),
        ("Famille séparée : le père", "DUBOIS", "Marc"),
        ("Famille avec deux enfants (père)", "MARTIN", "Olivier"),
    ];
    let mut out = Vec::new();
    for (who, last, first) in featured {
        let guardian: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM guardians WHERE school_id = $1 AND last_name = $2 AND first_name = $3",
        )
        .bind(school_id)
        .bind(last)
        .bind(first)
        .fetch_optional(&mut **tx)
        .await?;
        let Some(guardian) = guardian else { continue };
        let signature = state
            .keys
            .sign("demo-access-code", guardian.to_string().as_bytes());
        let code = access_code::from_bytes(signature.as_bytes());
        sqlx::query(
            "UPDATE guardians SET access_code_hash = $2, access_code_issued_at = $3 WHERE id = $1",
        )
        .bind(guardian)
        .bind(access_code::hash(&code))
        .bind(now_ms())
        .execute(&mut **tx)
        .await?;
        let children: Vec<(String, String)> = sqlx::query_as(
            "SELECT p.first_name, p.birth_date FROM pupils p JOIN guardianships g ON g.pupil_id = p.id
             WHERE g.guardian_id = $1 ORDER BY p.birth_date",
        )
        .bind(guardian)
        .fetch_all(&mut **tx)
        .await?;
        let described = children
            .iter()
            .map(|(name, birth)| format!("{name}, né·e le {}", french_date(birth)))
            .collect::<Vec<_>>()
            .join(" ; ");
        out.push((format!("{who} — {first} {last}"), code, described));
    }
    Ok(out)
}

fn french_date(iso: &str) -> String {
    let parts: Vec<&str> = iso.split('-').collect();
    match parts.as_slice() {
        [y, m, d] => format!("{d}/{m}/{y}"),
        _ => iso.to_string(),
    }
}

/// What `dossiersco demo` prints.
pub fn banner(base: &str, seeded: &Seeded) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\nDossierSCO — démonstration prête : {} ({}), {} élèves\n",
        seeded.school_name, seeded.uai, seeded.pupils
    );
    let _ = writeln!(out, "  Accueil             {base}/");
    let _ = writeln!(out, "  Espace familles     {base}/famille/connexion");
    let _ = writeln!(out, "  Espace agents       {base}/agent/connexion");
    let _ = writeln!(out, "  Boîte d'envoi       {base}/outbox");
    let _ = writeln!(out, "\nAgents (mot de passe pour tous : {DEMO_PASSWORD})");
    for (role, email) in &seeded.agents {
        let _ = writeln!(out, "  {:<22} {email}", role.label());
    }
    let _ = writeln!(
        out,
        "\nFamilles (code personnel + date de naissance de l'enfant)"
    );
    for (who, code, children) in &seeded.families {
        let _ = writeln!(out, "  {who}\n      code {code} — {children}");
    }
    let _ = writeln!(out, "\nArrêt : Ctrl-C.\n");
    out
}
