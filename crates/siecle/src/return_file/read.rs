//! Reads an IMPORT_ELEVES file back into a [`ReturnFile`]: for round-trip tests (the
//! file holds exactly the values given) and to show a school what a file it produced
//! says. Files we wrote only: anything unexpected is an error, not a warning.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use quick_xml::events::Event;

use super::model::{
    Address, Birthplace, Grant, Leaving, Link, LinkKind, OptionChoice, Person, Phones,
    PreviousSchool, PreviousYear, Pupil, ReturnFile, Schooling, Town,
};
use crate::codes::{Civilite, ModaliteElection, Parente, Pcs, Regime, Sexe};
use crate::types::Uai;

/// Why a file could not be read back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("fichier de retour illisible : {0}")]
pub struct ReadError(pub String);

#[derive(Debug, Default)]
struct Node {
    name: String,
    text: String,
    children: Vec<Node>,
}

impl Node {
    fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }
    fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }
    fn req(&self, name: &str) -> Result<&Node, ReadError> {
        self.child(name)
            .ok_or_else(|| ReadError(format!("{name} absent de {}", self.name)))
    }
    fn text_of(&self, name: &str) -> Option<String> {
        self.child(name).map(|c| c.text.clone())
    }
    fn req_text(&self, name: &str) -> Result<String, ReadError> {
        self.req(name).map(|c| c.text.clone())
    }
    fn number<T: std::str::FromStr>(&self, name: &str) -> Result<Option<T>, ReadError> {
        self.text_of(name)
            .map(|t| {
                t.parse()
                    .map_err(|_| ReadError(format!("{name} n'est pas un nombre : {t}")))
            })
            .transpose()
    }
    fn req_number<T: std::str::FromStr>(&self, name: &str) -> Result<T, ReadError> {
        self.number(name)?
            .ok_or_else(|| ReadError(format!("{name} absent de {}", self.name)))
    }
    fn date(&self, name: &str) -> Result<Option<NaiveDate>, ReadError> {
        self.text_of(name)
            .map(|t| {
                NaiveDate::parse_from_str(&t, "%Y-%m-%d")
                    .map_err(|_| ReadError(format!("{name} n'est pas une date : {t}")))
            })
            .transpose()
    }
    fn req_date(&self, name: &str) -> Result<NaiveDate, ReadError> {
        self.date(name)?
            .ok_or_else(|| ReadError(format!("{name} absent de {}", self.name)))
    }
    fn boolean(&self, name: &str) -> Result<Option<bool>, ReadError> {
        match self.text_of(name).as_deref() {
            None => Ok(None),
            Some("true" | "1") => Ok(Some(true)),
            Some("false" | "0") => Ok(Some(false)),
            Some(t) => Err(ReadError(format!("{name} n'est pas un booléen : {t}"))),
        }
    }
    fn req_boolean(&self, name: &str) -> Result<bool, ReadError> {
        self.boolean(name)?
            .ok_or_else(|| ReadError(format!("{name} absent de {}", self.name)))
    }
}

fn tree(xml: &str) -> Result<Node, ReadError> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut stack: Vec<Node> = Vec::new();
    loop {
        match reader.read_event() {
            Err(e) => return Err(ReadError(format!("XML mal formé ({e})"))),
            Ok(Event::Start(s)) => stack.push(Node {
                name: s.name().as_ref().to_string(),
                ..Node::default()
            }),
            Ok(Event::Empty(s)) => {
                let node = Node {
                    name: s.name().as_ref().to_string(),
                    ..Node::default()
                };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(node),
                    None => return Ok(node),
                }
            }
            Ok(Event::End(_)) => {
                let node = stack
                    .pop()
                    .ok_or_else(|| ReadError("balise fermante en trop".into()))?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(node),
                    None => return Ok(node),
                }
            }
            Ok(Event::Text(t)) => {
                if let Some(n) = stack.last_mut() {
                    n.text.push_str(&t.xml10_content());
                }
            }
            Ok(Event::GeneralRef(r)) => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    _ => quick_xml::escape::resolve_predefined_entity(r.as_ref())
                        .ok_or_else(|| ReadError("entité inconnue".into()))?
                        .to_string(),
                };
                if let Some(n) = stack.last_mut() {
                    n.text.push_str(&resolved);
                }
            }
            Ok(Event::Eof) => return Err(ReadError("fichier tronqué".into())),
            Ok(_) => {}
        }
    }
}

/// Reads the XML of a return file (ISO-8859-15).
pub fn read_xml(bytes: &[u8]) -> Result<ReturnFile, ReadError> {
    let (text, _, malformed) = encoding_rs::ISO_8859_15.decode(bytes);
    if malformed {
        return Err(ReadError("encodage invalide".into()));
    }
    let root = tree(&text)?;
    if root.name != "IMPORT_ELEVES" {
        return Err(ReadError(format!("racine {} inattendue", root.name)));
    }
    let params = root.req("PARAMETRES")?;
    let uai = Uai::parse(&params.req_text("UAJ")?).ok_or_else(|| ReadError("UAJ".into()))?;
    let school_year = params.req_number("ANNEE_SCOLAIRE")?;
    let day = NaiveDate::parse_from_str(&params.req_text("DATE_IMPORT")?, "%d/%m/%Y")
        .map_err(|_| ReadError("DATE_IMPORT".into()))?;
    let send_number = params.req_number("NUM_ENVOI")?;
    let data = root.req("DONNEES")?;
    let persons = data
        .req("PERSONNES")?
        .all("PERSONNE")
        .map(person)
        .collect::<Result<_, _>>()?;
    let pupils = data
        .req("ELEVES")?
        .all("ELEVE")
        .map(pupil)
        .collect::<Result<_, _>>()?;
    Ok(ReturnFile {
        uai,
        school_year,
        // The file holds the day only; the time is in its name.
        generated_at: NaiveDateTime::new(day, NaiveTime::MIN),
        send_number,
        persons,
        pupils,
    })
}

fn phones(n: &Node) -> Phones {
    Phones {
        home: n.text_of("TEL_PERSONNEL"),
        work: n.text_of("TEL_PROFESSIONNEL"),
        mobile: n.text_of("TEL_PORTABLE"),
    }
}

fn address(n: &Node) -> Result<Option<Address>, ReadError> {
    let Some(a) = n.child("ADRESSE") else {
        return Ok(None);
    };
    let lines = [
        "LIGNE1_ADRESSE",
        "LIGNE2_ADRESSE",
        "LIGNE3_ADRESSE",
        "LIGNE4_ADRESSE",
    ]
    .iter()
    .filter_map(|t| a.text_of(t))
    .collect();
    let town = match a.text_of("COMMUNE_ETRANGERE") {
        Some(t) => Town::Abroad(t),
        None => Town::France {
            postcode: a.req_text("CODE_POSTAL")?,
            name: a.req_text("LL_POSTAL")?,
        },
    };
    Ok(Some(Address {
        lines,
        town,
        country: a.req_text("CODE_PAYS")?,
    }))
}

fn person(n: &Node) -> Result<Person, ReadError> {
    Ok(Person {
        private_id: n.req_number("ID_PRV_PER")?,
        siecle_id: n.number("ID_SIECLE_PER")?,
        civility: Civilite::from_code(&n.req_text("CODE_CIVILITE")?),
        last_name: n.req_text("NOM_DE_FAMILLE")?,
        usage_name: n.text_of("NOM_USAGE"),
        first_name: n.req_text("PRENOM")?,
        address: address(n)?,
        shares_address: n.boolean("COMMUNICATION_ADRESSE")?,
        profession: Pcs::from_code(&n.req_text("CODE_PROFESSION")?),
        phones: phones(n),
        accepts_sms: n.boolean("ACCEPTE_SMS")?,
        email: n.text_of("EMAIL"),
    })
}

fn pupil(n: &Node) -> Result<Pupil, ReadError> {
    let leaving = match n.text_of("CODE_MOTIF_SORTIE") {
        Some(motive) => Some(Leaving {
            motive,
            date: n.req_date("DATE_SORTIE")?,
        }),
        None => None,
    };
    let birthplace = match (
        n.text_of("CODE_COMMUNE_INSEE_NAISS"),
        n.text_of("VILLE_NAISS"),
    ) {
        (Some(c), _) => Some(Birthplace::Insee(c)),
        (None, Some(v)) => Some(Birthplace::Abroad(v)),
        (None, None) => None,
    };
    let grants = match n.child("BOURSES") {
        None => Vec::new(),
        Some(b) => b
            .all("BOURSE")
            .map(|g| {
                Ok(Grant {
                    code: g.req_text("CODE_BOURSE")?,
                    parts: Some(g.req_number("NB_PART")?),
                })
            })
            .collect::<Result<_, ReadError>>()?,
    };
    let mut links = Vec::new();
    if let Some(r) = n.child("RESPONSABLES_ELEVE") {
        for l in &r.children {
            let kind = match l.name.as_str() {
                "LEGAL" => LinkKind::Legal,
                "PERSONNE_EN_CHARGE" => LinkKind::InCharge,
                "CONTACT" => LinkKind::Contact,
                other => return Err(ReadError(format!("{other} inattendu"))),
            };
            links.push(Link {
                person: l.req_number("ID_PRV_PER")?,
                kind,
                relationship: Parente::from_code(&l.req_text("CODE_PARENTE")?),
                pays_fees: l.boolean("PAIE_FRAIS_SCOLAIRES")?,
                lives_with_pupil: l.boolean("HEBERGE_ELEVE")?,
                receives_aid: l.boolean("PERCOIT_LES_AIDES")?,
                contact_first: l.boolean("A_CONTACTER_EN_PRIORITE")?,
            });
        }
    }
    let schooling = match n.child("SCOLARITE_ACTIVE") {
        None => None,
        Some(s) => Some(Schooling {
            mef: s.req_text("CODE_MEF")?,
            division: s.text_of("CODE_DIVISION"),
            status: s.req_text("CODE_STATUT")?,
            start: s.req_date("DATE_DEB_SCO")?,
            end: s.date("DATE_FIN_SCO")?,
            stops_training: s.boolean("ARRET_FORMATION")?,
            options: s
                .req("OPTIONS")?
                .all("OPTION")
                .map(|o| {
                    Ok(OptionChoice {
                        subject: o.req_text("CODE_MATIERE")?,
                        modality: ModaliteElection::from_code(&o.req_text("CODE_MODALITE_ELECT")?),
                    })
                })
                .collect::<Result<_, ReadError>>()?,
        }),
    };
    let previous = match n.child("ETABLISSEMENT_AN_DERNIER") {
        None => None,
        Some(p) => Some(PreviousYear {
            school: match p.text_of("CODE_RNE") {
                Some(u) => PreviousSchool::Uai(u),
                None => PreviousSchool::Department(p.req_text("CODE_DEPARTEMENT")?),
            },
            provenance: p.req_text("CODE_PROVENANCE")?,
            mef: p.text_of("CODE_MEF"),
            mef_type: p.text_of("TYPE_MEF"),
            division: p.text_of("CODE_DIVISION"),
            status: p.text_of("CODE_STATUT"),
            start: p.date("DATE_DEB_SCO")?,
            end: p.date("DATE_FIN_SCO")?,
            regime: p.text_of("CODE_REGIME"),
            options: p
                .req("OPTIONS_AN_DERNIER")?
                .all("CODE_MATIERE")
                .map(|o| o.text.clone())
                .collect(),
        }),
    };
    Ok(Pupil {
        private_id: n.req_number("ID_PRV_ELE")?,
        siecle_id: n.number("ID_SIECLE_ELE")?,
        ine: n.text_of("ID_NATIONAL"),
        last_name: n.req_text("NOM_DE_FAMILLE")?,
        usage_name: n.text_of("NOM_USAGE"),
        first_name: n.req_text("PRENOM")?,
        first_name2: n.text_of("PRENOM2"),
        first_name3: n.text_of("PRENOM3"),
        nationality: n.text_of("CODE_PAYS_NAT"),
        birth_date: n.req_date("DATE_NAISS")?,
        sex: n.text_of("CODE_SEXE").map(|s| Sexe::from_code(&s)),
        birth_country: n.req_text("CODE_PAYS")?,
        birthplace,
        entry_date: n.date("DATE_ENTREE")?,
        address: address(n)?,
        phones: phones(n),
        accepts_sms: n.boolean("ACCEPTE_SMS")?,
        email: n.text_of("EMAIL"),
        transport: n.req_boolean("ADHESION_TRANSPORT")?,
        regime: Regime::from_code(&n.req_text("CODE_REGIME")?),
        repeating: n.req_boolean("DOUBLEMENT")?,
        grants,
        links,
        schooling,
        previous,
        leaving,
    })
}
