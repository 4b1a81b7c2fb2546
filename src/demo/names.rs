//! Names, streets and the deterministic generator the demo draws from.

/// A small deterministic generator (SplitMix64): same demo on every machine.
pub(super) struct Rng(pub(super) u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub(super) fn pick(&mut self, items: &[&'static str]) -> &'static str {
        items[(self.next() % items.len() as u64) as usize]
    }
    pub(super) fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

pub(super) const LAST_NAMES: &[&str] = &[
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
pub(super) const STREETS: &[&str] = &[
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

pub(super) fn rng_first(rng: &mut Rng, sex: &str) -> &'static str {
    if sex == "F" {
        rng.pick(GIRLS)
    } else {
        rng.pick(BOYS)
    }
}
