//! When families may fill and send their dossiers: from the opening date,
//! until the closing date; a dossier the school sent back may be sent again
//! until the "returned dossiers" date. A date not set does not limit (the
//! "ready to open" page says it is missing).

use chrono::NaiveDate;

/// A campaign's dates, as the school set them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CampaignDates {
    pub opens_on: Option<NaiveDate>,
    pub closes_on: Option<NaiveDate>,
    pub returned_until: Option<NaiveDate>,
}

/// What a family may do with a dossier today.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// Not open yet: nothing may be read nor changed until that day.
    NotYetOpen(NaiveDate),
    /// The family may fill and send.
    Open,
    /// Closed since the day after this date: the dossier may be read, not
    /// changed nor sent.
    ClosedSince(NaiveDate),
}

impl CampaignDates {
    /// Reads `YYYY-MM-DD` columns; anything else counts as not set.
    pub fn parse(
        opens_on: Option<&str>,
        closes_on: Option<&str>,
        returned_until: Option<&str>,
    ) -> Self {
        let date = |s: Option<&str>| s.and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok());
        Self {
            opens_on: date(opens_on),
            closes_on: date(closes_on),
            returned_until: date(returned_until),
        }
    }

    /// The last day a dossier may be sent: the returned dossiers' date for a
    /// dossier sent back (when set), else the closing date.
    pub fn last_day(&self, returned: bool) -> Option<NaiveDate> {
        if returned {
            self.returned_until.or(self.closes_on)
        } else {
            self.closes_on
        }
    }

    /// The window of a dossier (sent back by the school or not) on `today`.
    pub fn window(&self, today: NaiveDate, returned: bool) -> Window {
        if let Some(opens) = self.opens_on
            && today < opens
        {
            return Window::NotYetOpen(opens);
        }
        match self.last_day(returned) {
            Some(last) if today > last => Window::ClosedSince(last),
            _ => Window::Open,
        }
    }
}

/// Why dates are refused, in French.
pub fn check(dates: &CampaignDates) -> Result<(), &'static str> {
    match (dates.opens_on, dates.closes_on) {
        (None, _) => return Err("Saisissez la date d'ouverture."),
        (_, None) => return Err("Saisissez la date de clôture."),
        (Some(opens), Some(closes)) if closes < opens => {
            return Err(
                "La date de clôture est avant la date d'ouverture : choisissez une clôture le même jour ou après.",
            );
        }
        _ => {}
    }
    if let (Some(closes), Some(returned)) = (dates.closes_on, dates.returned_until)
        && returned < closes
    {
        return Err(
            "La date limite des dossiers renvoyés est avant la clôture : choisissez-la le jour de la clôture ou après.",
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn dates() -> CampaignDates {
        CampaignDates::parse(Some("2027-05-02"), Some("2027-06-15"), Some("2027-06-30"))
    }

    #[test]
    fn a_family_waits_for_the_opening_and_stops_after_the_closing_day() {
        let d = dates();
        assert_eq!(
            d.window(day("2027-05-01"), false),
            Window::NotYetOpen(day("2027-05-02"))
        );
        assert_eq!(d.window(day("2027-05-02"), false), Window::Open);
        assert_eq!(d.window(day("2027-06-15"), false), Window::Open);
        assert_eq!(
            d.window(day("2027-06-16"), false),
            Window::ClosedSince(day("2027-06-15"))
        );
    }

    #[test]
    fn a_returned_dossier_may_be_sent_until_the_returned_date() {
        let d = dates();
        assert_eq!(d.window(day("2027-06-20"), true), Window::Open);
        assert_eq!(
            d.window(day("2027-07-01"), true),
            Window::ClosedSince(day("2027-06-30"))
        );
        let without = CampaignDates {
            returned_until: None,
            ..d
        };
        assert_eq!(
            without.window(day("2027-06-20"), true),
            Window::ClosedSince(day("2027-06-15"))
        );
    }

    #[test]
    fn dates_not_set_do_not_limit() {
        assert_eq!(
            CampaignDates::default().window(day("2030-01-01"), false),
            Window::Open
        );
    }

    #[test]
    fn closing_before_opening_is_refused() {
        let d = CampaignDates::parse(Some("2027-06-15"), Some("2027-05-02"), None);
        assert!(check(&d).unwrap_err().contains("avant la date d'ouverture"));
        assert!(check(&dates()).is_ok());
        let early =
            CampaignDates::parse(Some("2027-05-02"), Some("2027-06-15"), Some("2027-06-01"));
        assert!(check(&early).is_err());
        assert!(check(&CampaignDates::default()).is_err());
    }
}
