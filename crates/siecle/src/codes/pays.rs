//! Countries (CODE_PAYS, CODE_PAYS_NAT): SIECLE uses the last three digits of the
//! INSEE country codes (99100 France → « 100 », 99109 Allemagne → « 109 »), plus
//! « 990 » (autres pays) and « 995 » (sans pays / sans nationalité).
//!
//! The table below was rebuilt from the INSEE country list; codes of territories and
//! former states that SIECLE still uses (Açores-Madère, Yougoslavie…) are kept.

/// One row of the country table.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct PaysEntry {
    /// Three-digit SIECLE code.
    pub code: &'static str,
    /// French name of the country.
    pub label: &'static str,
    /// French nationality adjective (feminine, as in « nationalité française »).
    pub nationalite: &'static str,
}

macro_rules! pays_table {
    ($( $code:literal, $label:literal, $nat:literal; )+) => {
        /// Every known country, sorted by code.
        pub static PAYS: &[PaysEntry] = &[
            $( PaysEntry { code: $code, label: $label, nationalite: $nat }, )+
        ];
    };
}

pays_table! {
    "100", "France", "Française";
    "101", "Danemark", "Danoise";
    "102", "Islande", "Islandaise";
    "103", "Norvège", "Norvégienne";
    "104", "Suède", "Suédoise";
    "105", "Finlande", "Finlandaise";
    "106", "Estonie", "Estonienne";
    "107", "Lettonie", "Lettone";
    "108", "Lituanie", "Lituanienne";
    "109", "Allemagne", "Allemande";
    "110", "Autriche", "Autrichienne";
    "111", "Bulgarie", "Bulgare";
    "112", "Hongrie", "Hongroise";
    "113", "Liechtenstein", "Liechtensteinoise";
    "114", "Roumanie", "Roumaine";
    "116", "République tchèque", "Tchèque";
    "117", "Slovaquie", "Slovaque";
    "118", "Bosnie-Herzégovine", "Bosnienne";
    "119", "Croatie", "Croate";
    "120", "Monténégro", "Monténégrine";
    "121", "Serbie", "Serbe";
    "122", "Pologne", "Polonaise";
    "123", "Russie", "Russe";
    "125", "Albanie", "Albanaise";
    "126", "Grèce", "Grecque";
    "127", "Italie", "Italienne";
    "128", "Saint-Marin", "Saint-Marinaise";
    "129", "Vatican", "Vaticane";
    "130", "Andorre", "Andorrane";
    "131", "Belgique", "Belge";
    "132", "Royaume-Uni", "Britannique";
    "133", "Gibraltar", "Britannique (Gibraltar)";
    "134", "Espagne", "Espagnole";
    "135", "Pays-Bas", "Néerlandaise";
    "136", "Irlande", "Irlandaise";
    "137", "Luxembourg", "Luxembourgeoise";
    "138", "Monaco", "Monégasque";
    "139", "Portugal", "Portugaise";
    "140", "Suisse", "Suisse";
    "144", "Malte", "Maltaise";
    "145", "Slovénie", "Slovène";
    "148", "Biélorussie", "Biélorusse";
    "151", "Moldavie", "Moldave";
    "155", "Ukraine", "Ukrainienne";
    "156", "Macédoine du Nord", "Macédonienne";
    "157", "Kosovo", "Kosovare";
    "201", "Arabie saoudite", "Saoudienne";
    "203", "Irak", "Irakienne";
    "204", "Iran", "Iranienne";
    "205", "Liban", "Libanaise";
    "206", "Syrie", "Syrienne";
    "207", "Israël", "Israélienne";
    "208", "Turquie", "Turque";
    "212", "Afghanistan", "Afghane";
    "213", "Pakistan", "Pakistanaise";
    "214", "Bhoutan", "Bhoutanaise";
    "215", "Népal", "Népalaise";
    "216", "Chine", "Chinoise";
    "217", "Japon", "Japonaise";
    "219", "Thaïlande", "Thaïlandaise";
    "220", "Philippines", "Philippine";
    "222", "Jordanie", "Jordanienne";
    "223", "Inde", "Indienne";
    "224", "Birmanie", "Birmane";
    "225", "Brunei", "Brunéienne";
    "226", "Singapour", "Singapourienne";
    "227", "Malaisie", "Malaisienne";
    "229", "Maldives", "Maldivienne";
    "230", "Hong Kong", "Hongkongaise";
    "231", "Indonésie", "Indonésienne";
    "232", "Macao", "Macanaise";
    "234", "Cambodge", "Cambodgienne";
    "235", "Sri Lanka", "Sri-lankaise";
    "236", "Taïwan", "Taïwanaise";
    "238", "Corée du Nord", "Nord-coréenne";
    "239", "Corée du Sud", "Sud-coréenne";
    "240", "Koweït", "Koweïtienne";
    "241", "Laos", "Laotienne";
    "242", "Mongolie", "Mongole";
    "243", "Viêt Nam", "Vietnamienne";
    "246", "Bangladesh", "Bangladaise";
    "247", "Émirats arabes unis", "Émirienne";
    "248", "Qatar", "Qatarienne";
    "249", "Bahreïn", "Bahreïnienne";
    "250", "Oman", "Omanaise";
    "251", "Yémen", "Yéménite";
    "252", "Arménie", "Arménienne";
    "253", "Azerbaïdjan", "Azerbaïdjanaise";
    "254", "Chypre", "Chypriote";
    "255", "Géorgie", "Géorgienne";
    "256", "Kazakhstan", "Kazakhe";
    "257", "Kirghizistan", "Kirghize";
    "258", "Ouzbékistan", "Ouzbèke";
    "259", "Tadjikistan", "Tadjike";
    "260", "Turkménistan", "Turkmène";
    "261", "Palestine", "Palestinienne";
    "262", "Timor oriental", "Est-timoraise";
    "301", "Égypte", "Égyptienne";
    "302", "Liberia", "Libérienne";
    "303", "Afrique du Sud", "Sud-africaine";
    "304", "Gambie", "Gambienne";
    "306", "Sainte-Hélène", "Britannique (Sainte-Hélène)";
    "309", "Tanzanie", "Tanzanienne";
    "310", "Zimbabwe", "Zimbabwéenne";
    "311", "Namibie", "Namibienne";
    "312", "République démocratique du Congo", "Congolaise (RDC)";
    "313", "Présides (Ceuta, Melilla)", "Espagnole (Présides)";
    "314", "Guinée équatoriale", "Équato-guinéenne";
    "315", "Éthiopie", "Éthiopienne";
    "316", "Libye", "Libyenne";
    "317", "Érythrée", "Érythréenne";
    "318", "Somalie", "Somalienne";
    "319", "Açores, Madère", "Portugaise (Açores, Madère)";
    "321", "Burundi", "Burundaise";
    "322", "Cameroun", "Camerounaise";
    "323", "Centrafrique", "Centrafricaine";
    "324", "Congo", "Congolaise";
    "326", "Côte d'Ivoire", "Ivoirienne";
    "327", "Bénin", "Béninoise";
    "328", "Gabon", "Gabonaise";
    "329", "Ghana", "Ghanéenne";
    "330", "Guinée", "Guinéenne";
    "331", "Burkina Faso", "Burkinabée";
    "332", "Kenya", "Kényane";
    "333", "Madagascar", "Malgache";
    "334", "Malawi", "Malawite";
    "335", "Mali", "Malienne";
    "336", "Mauritanie", "Mauritanienne";
    "337", "Niger", "Nigérienne";
    "338", "Nigeria", "Nigériane";
    "339", "Ouganda", "Ougandaise";
    "340", "Rwanda", "Rwandaise";
    "341", "Sénégal", "Sénégalaise";
    "342", "Sierra Leone", "Sierra-léonaise";
    "343", "Soudan", "Soudanaise";
    "344", "Tchad", "Tchadienne";
    "345", "Togo", "Togolaise";
    "346", "Zambie", "Zambienne";
    "347", "Botswana", "Botswanaise";
    "348", "Lesotho", "Lesothane";
    "349", "Soudan du Sud", "Sud-soudanaise";
    "350", "Maroc", "Marocaine";
    "351", "Tunisie", "Tunisienne";
    "352", "Algérie", "Algérienne";
    "389", "Sahara occidental", "Sahraouie";
    "390", "Maurice", "Mauricienne";
    "391", "Eswatini", "Swazie";
    "392", "Guinée-Bissau", "Bissau-guinéenne";
    "393", "Mozambique", "Mozambicaine";
    "394", "Sao Tomé-et-Principe", "Santoméenne";
    "395", "Angola", "Angolaise";
    "396", "Cap-Vert", "Cap-verdienne";
    "397", "Comores", "Comorienne";
    "398", "Seychelles", "Seychelloise";
    "399", "Djibouti", "Djiboutienne";
    "401", "Canada", "Canadienne";
    "404", "États-Unis", "Américaine";
    "405", "Mexique", "Mexicaine";
    "406", "Costa Rica", "Costaricienne";
    "407", "Cuba", "Cubaine";
    "408", "République dominicaine", "Dominicaine";
    "409", "Guatemala", "Guatémaltèque";
    "410", "Haïti", "Haïtienne";
    "411", "Honduras", "Hondurienne";
    "412", "Nicaragua", "Nicaraguayenne";
    "413", "Panama", "Panaméenne";
    "414", "Salvador", "Salvadorienne";
    "415", "Argentine", "Argentine";
    "416", "Brésil", "Brésilienne";
    "417", "Chili", "Chilienne";
    "418", "Bolivie", "Bolivienne";
    "419", "Colombie", "Colombienne";
    "420", "Équateur", "Équatorienne";
    "421", "Paraguay", "Paraguayenne";
    "422", "Pérou", "Péruvienne";
    "423", "Uruguay", "Uruguayenne";
    "424", "Venezuela", "Vénézuélienne";
    "425", "Territoires du Royaume-Uni aux Antilles", "Britannique (Antilles)";
    "426", "Jamaïque", "Jamaïcaine";
    "427", "Territoires du Royaume-Uni dans l'Atlantique", "Britannique (Atlantique)";
    "428", "Guyana", "Guyanienne";
    "429", "Belize", "Bélizienne";
    "430", "Groenland", "Danoise (Groenland)";
    "431", "Antilles néerlandaises", "Néerlandaise (Antilles)";
    "432", "Porto Rico, îles Vierges des États-Unis", "Américaine (Porto Rico)";
    "433", "Trinité-et-Tobago", "Trinidadienne";
    "434", "Barbade", "Barbadienne";
    "435", "Grenade", "Grenadienne";
    "436", "Bahamas", "Bahaméenne";
    "437", "Suriname", "Surinamaise";
    "438", "Dominique", "Dominiquaise";
    "439", "Sainte-Lucie", "Saint-Lucienne";
    "440", "Saint-Vincent-et-les-Grenadines", "Vincentaise";
    "441", "Antigua-et-Barbuda", "Antiguaise";
    "442", "Saint-Christophe-et-Niévès", "Christophienne";
    "501", "Australie", "Australienne";
    "502", "Nouvelle-Zélande", "Néo-zélandaise";
    "503", "Îles Pitcairn", "Britannique (Pitcairn)";
    "505", "Territoires des États-Unis en Océanie", "Américaine (Océanie)";
    "506", "Samoa", "Samoane";
    "507", "Nauru", "Nauruane";
    "508", "Fidji", "Fidjienne";
    "509", "Tonga", "Tonguienne";
    "510", "Papouasie-Nouvelle-Guinée", "Papouane-néo-guinéenne";
    "511", "Tuvalu", "Tuvaluane";
    "512", "Îles Salomon", "Salomonaise";
    "513", "Kiribati", "Kiribatienne";
    "514", "Vanuatu", "Vanuatuane";
    "515", "Îles Marshall", "Marshallaise";
    "516", "Micronésie", "Micronésienne";
    "517", "Palaos", "Palaosienne";
    "990", "Autres pays", "Autre nationalité";
    "995", "Sans pays", "Sans nationalité";
}

/// A country code read from a file: a known country, or the code as read.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Pays {
    /// A country of the table.
    Known(&'static PaysEntry),
    /// A code that is not in the table, kept exactly as read.
    Other(String),
}

impl Pays {
    /// France (« 100 »).
    pub fn france() -> Self {
        Pays::from_code("100")
    }

    /// Reads a three-digit code; « 99100 » (full INSEE form) and « 1 » / « 100.0 » are
    /// normalised. Unknown codes become `Other`.
    pub fn from_code(code: &str) -> Self {
        let trimmed = code.trim();
        let digits = trimmed.strip_suffix(".0").unwrap_or(trimmed);
        let normalised = if digits.len() == 5 && digits.starts_with("99") {
            digits[2..].to_string()
        } else if !digits.is_empty()
            && digits.len() < 3
            && digits.bytes().all(|b| b.is_ascii_digit())
        {
            format!("{digits:0>3}")
        } else {
            digits.to_string()
        };
        match PAYS.binary_search_by(|p| p.code.cmp(normalised.as_str())) {
            Ok(i) => Pays::Known(&PAYS[i]),
            Err(_) => Pays::Other(trimmed.to_string()),
        }
    }

    /// Finds a country by its French name (accents, case and punctuation ignored), as the
    /// spreadsheet export writes it (« FRANCE », « PEROU », « ANGLETERRE »…).
    pub fn from_label(label: &str) -> Option<Self> {
        let key = crate::text::fold_key(label);
        if key.is_empty() {
            return None;
        }
        let alias = match key.as_str() {
            "angleterre" | "grande bretagne" | "royaume uni" => Some("132"),
            "etats unis" | "usa" | "etats unis d amerique" => Some("404"),
            "chine populaire" | "chine popul" => Some("216"),
            "republique democratique du congo" | "rep democrat du congo" | "rdc" => Some("312"),
            "vietnam" => Some("243"),
            _ => None,
        };
        if let Some(code) = alias {
            return Some(Pays::from_code(code));
        }
        PAYS.iter()
            .find(|p| crate::text::fold_key(p.label) == key)
            .map(Pays::Known)
    }

    /// The SIECLE code, exactly as written in the exports.
    pub fn code(&self) -> &str {
        match self {
            Pays::Known(p) => p.code,
            Pays::Other(code) => code,
        }
    }

    /// The French name of the country (« Code inconnu » for `Other`).
    pub fn label(&self) -> &'static str {
        match self {
            Pays::Known(p) => p.label,
            Pays::Other(_) => "Code inconnu",
        }
    }

    /// Whether the code is in the table.
    pub fn is_known(&self) -> bool {
        matches!(self, Pays::Known(_))
    }

    /// Whether this is France.
    pub fn is_france(&self) -> bool {
        self.code() == "100"
    }
}

impl std::fmt::Display for Pays {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.label(), self.code())
    }
}

/// A nationality (CODE_PAYS_NAT): the same codes as [`Pays`], labelled with the
/// nationality adjective.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Nationalite(pub Pays);

impl Nationalite {
    /// Reads a three-digit code; unknown codes are kept.
    pub fn from_code(code: &str) -> Self {
        Nationalite(Pays::from_code(code))
    }

    /// The SIECLE code.
    pub fn code(&self) -> &str {
        self.0.code()
    }

    /// The French nationality label (« Française », « Malienne »…).
    pub fn label(&self) -> &'static str {
        match &self.0 {
            Pays::Known(p) => p.nationalite,
            Pays::Other(_) => "Code inconnu",
        }
    }

    /// Whether the code is in the table.
    pub fn is_known(&self) -> bool {
        self.0.is_known()
    }

    /// Finds a nationality by the country name or the adjective (spreadsheet « Pays Nat. »
    /// holds a country name such as « FRANCE »).
    pub fn from_label(label: &str) -> Option<Self> {
        if let Some(p) = Pays::from_label(label) {
            return Some(Nationalite(p));
        }
        let key = crate::text::fold_key(label);
        PAYS.iter()
            .find(|p| crate::text::fold_key(p.nationalite) == key)
            .map(|p| Nationalite(Pays::Known(p)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_sorted_and_has_unique_codes() {
        for pair in PAYS.windows(2) {
            assert!(
                pair[0].code < pair[1].code,
                "{} !< {}",
                pair[0].code,
                pair[1].code
            );
        }
        for p in PAYS {
            assert_eq!(p.code.len(), 3);
            let read = Pays::from_code(p.code);
            assert_eq!(read.code(), p.code);
            assert_eq!(read.label(), p.label);
            assert_eq!(Nationalite::from_code(p.code).label(), p.nationalite);
        }
        assert!(PAYS.len() > 200);
    }

    #[test]
    fn codes_from_the_spec_and_samples_are_known() {
        assert_eq!(Pays::from_code("100").label(), "France");
        assert_eq!(Pays::from_code("109").label(), "Allemagne");
        assert_eq!(Pays::from_code("132").label(), "Royaume-Uni");
        assert_eq!(Nationalite::from_code("335").label(), "Malienne");
        assert_eq!(Pays::from_code("99100"), Pays::france());
        assert_eq!(Pays::from_code("100.0"), Pays::france());
        assert!(Pays::from_code("100").is_france());
    }

    #[test]
    fn unknown_codes_and_labels() {
        let p = Pays::from_code("777");
        assert_eq!(p, Pays::Other("777".into()));
        assert!(!p.is_known());
        assert_eq!(
            Pays::from_label("PEROU").map(|p| p.code().to_string()),
            Some("422".into())
        );
        assert_eq!(
            Pays::from_label("ANGLETERRE").map(|p| p.code().to_string()),
            Some("132".into())
        );
        assert_eq!(
            Pays::from_label("Côte d'Ivoire").map(|p| p.code().to_string()),
            Some("326".into())
        );
        assert_eq!(Pays::from_label("Atlantide"), None);
        assert_eq!(
            Nationalite::from_label("FRANCE").map(|n| n.label()),
            Some("Française")
        );
    }
}
