//! The school's own questions of the vie scolaire step: its FSE, its
//! authorisations (photo, outings… the list is the school's) and its custom
//! questions (yes/no, a choice among options, a short text). Each answer is
//! stored under the question's key, which is also the column of the
//! school's exports. Pure: checks of the school's configuration and of a
//! family's answer, and the answer in words.

use super::fields;

/// Which screen a question belongs to, and so which role owns it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuestionKind {
    /// The foyer socio-éducatif (secretariat / direction).
    Fse,
    /// An authorisation (vie scolaire / direction).
    Authorisation,
    /// Any other question (secretariat / direction).
    Custom,
}

impl QuestionKind {
    pub fn code(self) -> &'static str {
        match self {
            QuestionKind::Fse => "fse",
            QuestionKind::Authorisation => "authorisation",
            QuestionKind::Custom => "custom",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "fse" => Some(QuestionKind::Fse),
            "authorisation" => Some(QuestionKind::Authorisation),
            "custom" => Some(QuestionKind::Custom),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            QuestionKind::Fse => "Foyer socio-éducatif",
            QuestionKind::Authorisation => "Autorisation",
            QuestionKind::Custom => "Question",
        }
    }
}

/// How a family answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerType {
    YesNo,
    Choice,
    Text,
}

impl AnswerType {
    pub fn code(self) -> &'static str {
        match self {
            AnswerType::YesNo => "yes_no",
            AnswerType::Choice => "choice",
            AnswerType::Text => "text",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "yes_no" => Some(AnswerType::YesNo),
            "choice" => Some(AnswerType::Choice),
            "text" => Some(AnswerType::Text),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            AnswerType::YesNo => "Oui ou non",
            AnswerType::Choice => "Un choix parmi une liste",
            AnswerType::Text => "Un texte court",
        }
    }
}

/// The longest short-text answer.
pub const TEXT_ANSWER_MAX: usize = 300;

/// A question of the school.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    pub id: i64,
    pub kind: QuestionKind,
    pub answer_type: AnswerType,
    /// The answers' key and the exports' column.
    pub key: String,
    /// Short label for summaries, the school's page and exports
    /// (« Photo de classe »).
    pub label: String,
    /// What the family reads (« J'autorise la photo de classe… »).
    pub question: String,
    pub help: String,
    /// The choices of a `Choice` question, in order.
    pub choices: Vec<String>,
    /// The FSE's membership fee, in cents.
    pub amount_cents: Option<i64>,
}

impl Question {
    /// Checks a family's raw answer; `Ok` holds the value to store (a
    /// text question may stay empty).
    pub fn check_answer(&self, raw: &str) -> Result<String, String> {
        let raw = raw.trim();
        match self.answer_type {
            AnswerType::YesNo if matches!(raw, "oui" | "non") => Ok(raw.to_owned()),
            AnswerType::YesNo => Err(format!("Répondez oui ou non : « {} ».", self.label)),
            AnswerType::Choice if self.choices.iter().any(|c| c == raw) => Ok(raw.to_owned()),
            AnswerType::Choice => Err(format!("Choisissez une réponse : « {} ».", self.label)),
            AnswerType::Text if raw.chars().count() > TEXT_ANSWER_MAX => Err(format!(
                "Votre réponse dépasse {TEXT_ANSWER_MAX} caractères : raccourcissez-la."
            )),
            AnswerType::Text => Ok(raw.to_owned()),
        }
    }

    /// A stored answer in words.
    pub fn show(&self, value: &str) -> String {
        match (self.answer_type, value) {
            (AnswerType::YesNo, "oui") => "Oui".into(),
            (AnswerType::YesNo, "non") => "Non".into(),
            (AnswerType::Text, "") => "Pas de réponse".into(),
            _ => value.to_owned(),
        }
    }

    /// Whether a stored answer (last year's, say) is still a valid one.
    pub fn accepts(&self, value: &str) -> bool {
        self.check_answer(value).is_ok()
    }
}

/// What the school typed to create a question.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewQuestion {
    pub key: String,
    pub label: String,
    pub question: String,
    pub help: String,
    pub choices: String,
    pub amount: String,
}

/// A question the school may create, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedQuestion {
    pub kind: QuestionKind,
    pub answer_type: AnswerType,
    pub key: String,
    pub label: String,
    pub question: String,
    pub help: String,
    pub choices: Vec<String>,
    pub amount_cents: Option<i64>,
}

/// Field → message of a refused question.
pub type QuestionErrors = Vec<(&'static str, String)>;

/// Whether `key` may name a new question: lowercase letters, digits and
/// `_`, starting with a letter, at most 40 characters, and not a key of the
/// dossier's own fields (`options`, `canteen`…).
pub fn check_key(key: &str) -> Result<(), String> {
    let well_formed = !key.is_empty()
        && key.len() <= 40
        && key.starts_with(|c: char| c.is_ascii_lowercase())
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !well_formed {
        return Err(
            "Le nom de colonne s'écrit en minuscules sans accents, chiffres et _ (par exemple autorisation_photo), 40 caractères au plus."
                .into(),
        );
    }
    if fields::find(key).is_some() {
        return Err(format!(
            "« {key} » est déjà une information du dossier : choisissez un autre nom."
        ));
    }
    Ok(())
}

/// A euro amount typed by an agent (`10`, `10,50`, `10.5 €`) in cents.
pub fn parse_euros(raw: &str) -> Option<i64> {
    let cleaned: String = raw
        .trim()
        .trim_end_matches('€')
        .trim()
        .replace(',', ".")
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let (units, cents) = match cleaned.split_once('.') {
        Some((u, c)) if (1..=2).contains(&c.len()) => (u, format!("{c:0<2}")),
        Some(_) => return None,
        None => (cleaned.as_str(), "00".to_owned()),
    };
    if units.is_empty() || !units.chars().all(|c| c.is_ascii_digit()) || units.len() > 6 {
        return None;
    }
    if !cents.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    Some(units.parse::<i64>().ok()? * 100 + cents.parse::<i64>().ok()?)
}

/// Checks a question the school typed; `existing` are the keys already
/// used by the school's questions.
pub fn check_new(
    kind: QuestionKind,
    answer_type: AnswerType,
    typed: &NewQuestion,
    existing: &[String],
) -> Result<CheckedQuestion, QuestionErrors> {
    let mut errors: QuestionErrors = Vec::new();
    let key = typed.key.trim().to_owned();
    if let Err(message) = check_key(&key) {
        errors.push(("key", message));
    } else if existing.contains(&key) {
        errors.push((
            "key",
            format!("Une autre question utilise déjà la colonne « {key} »."),
        ));
    }
    let label = typed.label.trim().to_owned();
    if label.is_empty() || label.chars().count() > 80 {
        errors.push((
            "label",
            "Saisissez un intitulé court (80 caractères au plus).".into(),
        ));
    }
    let question = typed.question.trim().to_owned();
    if question.is_empty() || question.chars().count() > 300 {
        errors.push((
            "question",
            "Saisissez la question posée aux familles (300 caractères au plus).".into(),
        ));
    }
    let help = typed.help.trim().to_owned();
    if help.chars().count() > 1000 {
        errors.push(("help", "L'explication dépasse 1 000 caractères.".into()));
    }
    let choices: Vec<String> = typed
        .choices
        .lines()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
        .collect();
    if answer_type == AnswerType::Choice {
        let mut unique = choices.clone();
        unique.sort();
        unique.dedup();
        if choices.len() < 2 || unique.len() != choices.len() {
            errors.push((
                "choices",
                "Saisissez au moins deux réponses différentes, une par ligne.".into(),
            ));
        } else if choices.iter().any(|c| c.chars().count() > 120) {
            errors.push(("choices", "Une réponse dépasse 120 caractères.".into()));
        }
    }
    let amount_cents = if kind == QuestionKind::Fse && !typed.amount.trim().is_empty() {
        match parse_euros(&typed.amount) {
            Some(cents) => Some(cents),
            None => {
                errors.push((
                    "amount",
                    "Saisissez un montant en euros, par exemple 10 ou 12,50.".into(),
                ));
                None
            }
        }
    } else {
        None
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(CheckedQuestion {
        kind,
        answer_type,
        key,
        label,
        question,
        help,
        choices: if answer_type == AnswerType::Choice {
            choices
        } else {
            Vec::new()
        },
        amount_cents,
    })
}

/// Checks the new words of an existing question: its kind, answer type
/// and key stay.
pub fn check_edit(
    existing: &Question,
    typed: &NewQuestion,
) -> Result<CheckedQuestion, QuestionErrors> {
    let typed = NewQuestion {
        key: existing.key.clone(),
        ..typed.clone()
    };
    check_new(existing.kind, existing.answer_type, &typed, &[])
}

impl Question {
    /// What the school typed for this question, to edit it.
    pub fn as_typed(&self) -> NewQuestion {
        NewQuestion {
            key: self.key.clone(),
            label: self.label.clone(),
            question: self.question.clone(),
            help: self.help.clone(),
            choices: self.choices.join("\n"),
            amount: self
                .amount_cents
                .map(|c| format!("{},{:02}", c / 100, c % 100))
                .unwrap_or_default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(key: &str) -> NewQuestion {
        NewQuestion {
            key: key.into(),
            label: "Transport".into(),
            question: "Comment votre enfant vient-il au collège ?".into(),
            choices: "À pied\nEn bus\n".into(),
            ..NewQuestion::default()
        }
    }

    #[test]
    fn a_key_is_a_plain_column_name_not_a_field_of_the_dossier() {
        assert!(check_key("autorisation_photo").is_ok());
        assert!(check_key("Photo").is_err());
        assert!(check_key("1photo").is_err());
        assert!(check_key("photo de classe").is_err());
        assert!(check_key("canteen").is_err());
        assert!(check_key("options").is_err());
    }

    #[test]
    fn a_choice_question_needs_two_different_choices_and_a_free_key() {
        let ok = check_new(
            QuestionKind::Custom,
            AnswerType::Choice,
            &typed("transport"),
            &[],
        )
        .unwrap();
        assert_eq!(ok.choices, vec!["À pied", "En bus"]);
        let taken = check_new(
            QuestionKind::Custom,
            AnswerType::Choice,
            &typed("transport"),
            &["transport".into()],
        )
        .unwrap_err();
        assert_eq!(taken[0].0, "key");
        let one = NewQuestion {
            choices: "À pied".into(),
            ..typed("transport")
        };
        assert_eq!(
            check_new(QuestionKind::Custom, AnswerType::Choice, &one, &[]).unwrap_err()[0].0,
            "choices"
        );
    }

    #[test]
    fn answers_are_checked_against_the_question() {
        let q = Question {
            id: 1,
            kind: QuestionKind::Custom,
            answer_type: AnswerType::Choice,
            key: "transport".into(),
            label: "Transport".into(),
            question: "?".into(),
            help: String::new(),
            choices: vec!["À pied".into(), "En bus".into()],
            amount_cents: None,
        };
        assert_eq!(q.check_answer("En bus").unwrap(), "En bus");
        assert!(q.check_answer("En hélicoptère").is_err());
        let yes_no = Question {
            answer_type: AnswerType::YesNo,
            ..q.clone()
        };
        assert_eq!(yes_no.show("oui"), "Oui");
        assert!(yes_no.check_answer("").is_err());
        let text = Question {
            answer_type: AnswerType::Text,
            ..q
        };
        assert_eq!(text.check_answer("  rien  ").unwrap(), "rien");
        assert!(text.check_answer(&"x".repeat(301)).is_err());
    }

    #[test]
    fn euros_are_read_as_agents_type_them() {
        assert_eq!(parse_euros("10"), Some(1000));
        assert_eq!(parse_euros("12,5"), Some(1250));
        assert_eq!(parse_euros("12.50 €"), Some(1250));
        assert_eq!(parse_euros("-3"), None);
        assert_eq!(parse_euros("abc"), None);
        assert_eq!(parse_euros("1,234"), None);
    }
}
