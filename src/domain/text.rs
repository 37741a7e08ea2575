//! Free text that will one day travel in an X12 file: names, addresses, plan and payer names.
//!
//! The rule (documented in the README and `openapi.yaml`): leading and trailing white space is
//! trimmed; the rest must hold at least one visible character, no control character, and none of
//! `*` `~` `:` `^` `|` — the element, segment, component and repetition separators X12
//! interchanges commonly use. Refusing them at the edge means no X12 writer ever has to guess how
//! to clean a name.

use std::fmt;

use serde::Serialize;

const X12_DELIMITERS: [char; 5] = ['*', '~', ':', '^', '|'];

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct SafeText(String);

impl SafeText {
    pub fn parse(raw: &str, max_chars: usize) -> Result<SafeText, String> {
        // Length counts what was sent, as the contract's maxLength does, before trimming.
        if raw.chars().count() > max_chars {
            return Err(format!("must be at most {max_chars} characters"));
        }
        // U+FEFF counts as white space, as it does in the contract's ECMAScript `\s`.
        let trimmed = raw.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
        if trimmed.is_empty() {
            return Err("must not be blank".into());
        }
        if let Some(bad) = trimmed
            .chars()
            .find(|c| X12_DELIMITERS.contains(c) || c.is_control())
        {
            let shown = if bad.is_control() {
                "a control character".to_string()
            } else {
                format!("'{bad}'")
            };
            return Err(format!(
                "must not contain {shown} (the characters * ~ : ^ | are reserved by X12)"
            ));
        }
        Ok(SafeText(trimmed.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SafeText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Free-form staff notes that never travel in an X12 file: several lines are fine, any
/// character a person types is fine, control characters other than line breaks and tabs are
/// not (they are never typed, and they break the screens and exports notes end up in).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Note(String);

impl Note {
    pub fn parse(raw: &str, max_chars: usize) -> Result<Note, String> {
        if raw.chars().count() > max_chars {
            return Err(format!("must be at most {max_chars} characters"));
        }
        let trimmed = raw.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
        if trimmed.is_empty() {
            return Err("must not be blank (send null to clear it)".into());
        }
        if trimmed
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        {
            return Err(
                "must not contain control characters other than line breaks and tabs".into(),
            );
        }
        Ok(Note(trimmed.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_keep_lines_and_refuse_blank_long_and_control_characters() {
        let note = Note::parse("  Call back Tue.\nRef: A*1 ~ ok \t", 2000).unwrap();
        assert_eq!(note.as_str(), "Call back Tue.\nRef: A*1 ~ ok");
        assert!(Note::parse(" \n ", 2000).is_err());
        assert!(Note::parse(&"a".repeat(2001), 2000).is_err());
        assert!(Note::parse("bell \u{7}", 2000).is_err());
    }

    #[test]
    fn trims_and_keeps_ordinary_names() {
        assert_eq!(
            SafeText::parse("  O'Brien-Núñez ", 60).unwrap().as_str(),
            "O'Brien-Núñez"
        );
    }

    #[test]
    fn refuses_blank_long_and_x12_delimiters() {
        assert!(SafeText::parse("   ", 60).is_err());
        assert!(SafeText::parse(&"a".repeat(61), 60).is_err());
        assert!(SafeText::parse(&format!(" {}", "a".repeat(60)), 60).is_err());
        for bad in ["Smith*Jones", "A~B", "A:B", "A^B", "A|B", "A\nB"] {
            assert!(SafeText::parse(bad, 60).is_err(), "{bad}");
        }
    }
}
