//! Names as people have them, and as X12 must carry them.
//!
//! A name is stored, shown and sent to JSON and FHIR payers exactly as staff typed it
//! (`José Núñez`): those formats are Unicode. An X12 file (the 270 inquiry, the 837 claims)
//! carries the X12 basic character set only — capital letters, digits, space and
//! `! " & ' ( ) + , - . / ; ? =` (`*` and `:` are basic too, but they are the usual element and
//! component separators). [`to_x12_basic`] spells a name in it:
//!
//! 1. each character is decomposed (Unicode NFD) and its combining marks are dropped:
//!    `é` → `e`, `ñ` → `n`, `ç` → `c`, `ș` → `s`, `ệ` → `e`;
//! 2. the Latin letters NFD leaves whole are spelled from a table: `ø` → `o`, `ł` → `l`,
//!    `đ` → `d`, `ß` → `ss`, `æ` → `ae`, `œ` → `oe`, `þ` → `th`, `ð` → `d`, `ĳ` → `ij`, `ǆ` → `dz`;
//! 3. typographic apostrophes, the ʻokina and the backtick become `'`, dashes `-`, any run of
//!    white space one space (trimmed at the ends); invisible format characters (soft hyphen,
//!    zero-width joiners) are dropped;
//! 4. the result is uppercased: `JOSE NUNEZ`, `O'BRIEN`, `STRAUSS`.
//!
//! What cannot be spelled — letters of other scripts (`Иван`, `王`, `Γιώργος`), symbols and
//! emoji, control characters, the ASCII characters outside the basic set (`#`, `@`, `_`, the
//! separators `*` `:` `~` `^` `|`) — is refused rather than sent as a different name: a payer
//! matches members by name, and an inquiry about `VAN` for `Иван` would answer about nobody, or
//! somebody else. So a person's name is refused where it is entered ([`NameRule::Entered`]),
//! and a name stored before the rule is refused where it would be sent ([`check_x12_names`]).
//!
//! Fourteen rare letters of Latin Extended-B have no agreed ASCII spelling (tone letters of an
//! abandoned Zhuang orthography, a few phonetic letters: see [`NO_ASCII_SPELLING`]); they are
//! refused like other scripts.

use unicode_normalization::char::{decompose_canonical, is_combining_mark};

use super::text::SafeText;
use super::validation::{FieldError, Invalid};

/// The Latin letters from U+00C0 to U+024F that [`to_x12_basic`] refuses: no ASCII spelling of
/// them is in use.
pub const NO_ASCII_SPELLING: [char; 14] = [
    'ƍ', 'ƛ', 'Ƨ', 'ƨ', 'Ƅ', 'ƅ', 'ƪ', 'Ƹ', 'ƹ', 'ƺ', 'ƻ', 'Ƽ', 'ƽ', 'ƾ',
];

/// `text` spelled in the X12 basic character set (see the [module documentation](self)), or the
/// first character that cannot be.
///
/// ```
/// # use perdiem::domain::names::to_x12_basic;
/// assert_eq!(to_x12_basic("José  Núñez").unwrap(), "JOSE NUNEZ");
/// assert_eq!(to_x12_basic("O’Brien").unwrap(), "O'BRIEN");
/// assert_eq!(to_x12_basic("Strauß").unwrap(), "STRAUSS");
/// assert_eq!(to_x12_basic("Иван"), Err('И'));
/// ```
pub fn to_x12_basic(text: &str) -> Result<String, char> {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.chars() {
        if c.is_whitespace() {
            space = !out.is_empty();
            continue;
        }
        let before = out.len();
        if space {
            out.push(' ');
        }
        spell(c, &mut out)?;
        if out.len() == before + usize::from(space) {
            // Nothing written (a dropped mark): the pending space waits for the next letter.
            out.truncate(before);
        } else {
            space = false;
        }
    }
    Ok(out)
}

/// A name reduced for comparing it with the name a payer echoes: the [`to_x12_basic`] spelling
/// without spaces, hyphens, apostrophes and periods, so `Núñez-O’Brien`, `NUNEZ OBRIEN` and
/// `nunez-o'brien` are all `NUNEZOBRIEN`. A character with no spelling is kept, uppercased, so
/// two such names still compare equal only when they are equal.
pub fn comparable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_whitespace() {
            continue;
        }
        if spell(c, &mut out).is_err() {
            out.extend(c.to_uppercase());
        }
    }
    out.retain(|c| !matches!(c, ' ' | '-' | '\'' | '.'));
    out
}

/// Appends the spelling of `c` (possibly nothing, for a combining mark) to `out`, or gives `c`
/// back when it has none; `out` is then unchanged. White space is the caller's business.
///
/// This is the one table: the X12 writer's `clean_text` spells free text with it too.
pub fn spell(c: char, out: &mut String) -> Result<(), char> {
    if c.is_ascii() {
        return basic(c).map(|b| out.push(b)).ok_or(c);
    }
    if let Some(s) = punctuation(c) {
        out.push_str(s);
        return Ok(());
    }
    if is_emoji_mark(c) {
        return Err(c);
    }
    let start = out.len();
    let mut refused = false;
    decompose_canonical(c, |d| {
        if refused || is_combining_mark(d) {
            return;
        }
        // NFD maps a few non-letters to ASCII too (U+037E Greek question mark is `;`).
        let spelled = if d.is_ascii() {
            basic(d).map(|b| out.push(b))
        } else {
            letter(d).map(|s| out.push_str(s))
        };
        refused = spelled.is_none();
    });
    if refused {
        out.truncate(start);
        return Err(c);
    }
    Ok(())
}

/// An ASCII character in the basic set (letters uppercased), or `None`.
fn basic(c: char) -> Option<char> {
    match c {
        'A'..='Z' | '0'..='9' => Some(c),
        'a'..='z' => Some(c.to_ascii_uppercase()),
        '!' | '"' | '&' | '\'' | '(' | ')' | '+' | ',' | '-' | '.' | '/' | ';' | '?' | '=' => {
            Some(c)
        }
        // The backtick is typed for an apostrophe (`O`Brien`) and is not in the basic set.
        '`' => Some('\''),
        _ => None,
    }
}

/// Typographic punctuation people type in names, and invisible format characters.
fn punctuation(c: char) -> Option<&'static str> {
    Some(match c {
        // ’ ‘ ‚ ‛ ′ ´, the modifier-letter apostrophes and the Hawaiian ʻokina (ʻ), the saltillo
        // of Mexican languages (ꞌ).
        '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' | '\u{2032}' | '\u{00B4}'
        | '\u{02B9}' | '\u{02BB}' | '\u{02BC}' | '\u{02BD}' | '\u{02BE}' | '\u{02BF}'
        | '\u{A78B}' | '\u{A78C}' => "'",
        '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' | '\u{2033}' | '\u{00AB}'
        | '\u{00BB}' => "\"",
        '\u{2010}'..='\u{2015}' | '\u{2212}' => "-",
        '\u{2026}' => "...",
        // The Catalan middle dot (Paral·lel) is dropped, as in every ASCII spelling of it;
        // soft hyphen, zero-width space, non-joiner, joiner, word joiner and BOM are invisible.
        '\u{00B7}' | '\u{00AD}' | '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}' => "",
        _ => return None,
    })
}

/// Combining marks that make a symbol of what precedes them (keycap `1️⃣`, enclosing circle,
/// emoji presentation): dropping them would turn an emoji into a digit.
fn is_emoji_mark(c: char) -> bool {
    matches!(c, '\u{20DD}'..='\u{20E4}' | '\u{FE00}'..='\u{FE0F}' | '\u{E0100}'..='\u{E01EF}')
}

/// Latin letters NFD does not reduce to an ASCII letter and a mark, spelled as ASCII
/// transliteration commonly does (and as ICAO 9303 does where it lists them).
fn letter(c: char) -> Option<&'static str> {
    Some(match c {
        'Æ' | 'æ' => "AE",
        'Œ' | 'œ' => "OE",
        'ß' | 'ẞ' => "SS",
        'Þ' | 'þ' => "TH",
        'Ĳ' | 'ĳ' => "IJ",
        'Ǆ' | 'ǅ' | 'ǆ' | 'Ǳ' | 'ǲ' | 'ǳ' => "DZ",
        'Ǉ' | 'ǈ' | 'ǉ' => "LJ",
        'Ǌ' | 'ǋ' | 'ǌ' => "NJ",
        'Ƣ' | 'ƣ' => "OI",
        'Ȣ' | 'ȣ' => "OU",
        'ƕ' | 'Ƕ' => "HV",
        'Ʃ' | 'ʃ' => "SH",
        'ȸ' => "DB",
        'ȹ' => "QP",
        'Ỻ' | 'ỻ' => "LL",
        'ﬀ' => "FF",
        'ﬁ' => "FI",
        'ﬂ' => "FL",
        'ﬃ' => "FFI",
        'ﬄ' => "FFL",
        'ﬅ' | 'ﬆ' => "ST",
        // Azerbaijani Ə is A in every Latin-alphabet passport (Əliyev is ALIYEV).
        'Ə' | 'ə' | 'Ⱥ' | 'ẚ' | 'ɑ' | 'Ɑ' => "A",
        'ƀ' | 'Ƀ' | 'Ɓ' | 'ɓ' | 'Ƃ' | 'ƃ' => "B",
        'Ƈ' | 'ƈ' | 'Ȼ' | 'ȼ' => "C",
        'Ð' | 'ð' | 'Đ' | 'đ' | 'Ɖ' | 'ɖ' | 'Ɗ' | 'ɗ' | 'Ƌ' | 'ƌ' | 'ȡ' | 'ẟ' => "D",
        'Ǝ' | 'ǝ' | 'Ɛ' | 'ɛ' | 'Ɇ' | 'ɇ' => "E",
        'Ƒ' | 'ƒ' => "F",
        'Ɠ' | 'ɠ' | 'Ɣ' | 'ɣ' | 'Ǥ' | 'ǥ' => "G",
        'Ħ' | 'ħ' => "H",
        'ı' | 'Ɨ' | 'ɨ' | 'Ɩ' | 'ɩ' => "I",
        'ȷ' | 'Ɉ' | 'ɉ' => "J",
        'ĸ' | 'Ƙ' | 'ƙ' => "K",
        'Ŀ' | 'ŀ' | 'Ł' | 'ł' | 'ƚ' | 'Ƚ' | 'ȴ' => "L",
        'Ɯ' | 'ɯ' => "M",
        'Ŋ' | 'ŋ' | 'Ɲ' | 'ɲ' | 'ƞ' | 'Ƞ' | 'ȵ' => "N",
        'ŉ' => "'N",
        'Ø' | 'ø' | 'Ɵ' | 'ɵ' | 'Ɔ' | 'ɔ' => "O",
        'Ƥ' | 'ƥ' => "P",
        'Ɋ' | 'ɋ' => "Q",
        'Ʀ' | 'ʀ' | 'Ɍ' | 'ɍ' => "R",
        'ſ' | 'ẜ' | 'ẝ' | 'ȿ' => "S",
        'Ŧ' | 'ŧ' | 'ƫ' | 'Ƭ' | 'ƭ' | 'Ʈ' | 'ʈ' | 'ȶ' | 'Ⱦ' => "T",
        'Ʊ' | 'ʊ' | 'Ʉ' | 'ʉ' => "U",
        'Ʋ' | 'ʋ' | 'Ʌ' | 'ʌ' | 'Ỽ' | 'ỽ' => "V",
        'Ƿ' | 'ƿ' => "W",
        'Ƴ' | 'ƴ' | 'Ɏ' | 'ɏ' | 'Ȝ' | 'ȝ' | 'Ỿ' | 'ỿ' => "Y",
        'Ƶ' | 'ƶ' | 'Ʒ' | 'ʒ' | 'Ȥ' | 'ȥ' | 'ɀ' => "Z",
        // The glottal stop letter is written as an apostrophe in ASCII.
        'Ɂ' | 'ɂ' => "'",
        // Khoekhoe and San clicks, as Namibian records write them in ASCII.
        'ǀ' => "/",
        'ǁ' => "//",
        'ǂ' => "=",
        'ǃ' => "!",
        _ => return None,
    })
}

/// Under which rule a person's name is parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameRule {
    /// Typed by staff now: it must be sendable in X12 ([`check_x12_name`]).
    Entered,
    /// Read back from the database: taken as stored, even from before the rule, so the record
    /// stays readable; a name that cannot be sent is refused where it would be sent.
    Stored,
}

/// A person's name (a client, a policy holder, the clinic's clinician or billing contact): the
/// [`SafeText`] rule, and under [`NameRule::Entered`] the X12 rule of [`check_x12_name`].
pub fn parse_person_name(raw: &str, max_chars: usize, rule: NameRule) -> Result<SafeText, String> {
    let name = SafeText::parse(raw, max_chars)?;
    if rule == NameRule::Entered {
        check_x12_name(name.as_str(), max_chars)?;
    }
    Ok(name)
}

/// The X12 spelling of a person's name, or why it cannot be sent: a character with no spelling,
/// nothing left to send, or a spelling longer than the element (`max_chars`; `ß` and `Æ` take
/// two).
pub fn check_x12_name(name: &str, max_chars: usize) -> Result<String, String> {
    let spelled = to_x12_basic(name).map_err(|c| {
        let shown = if c.is_control() {
            "a control character".to_string()
        } else {
            format!("'{c}'")
        };
        format!(
            "must be written in Latin letters; {shown} cannot be sent to payers in X12 \
             (letters with accents, spaces, hyphens, apostrophes and periods can)"
        )
    })?;
    if spelled.is_empty() {
        return Err("must hold a letter that can be sent to payers in X12".into());
    }
    if spelled.len() > max_chars {
        return Err(format!(
            "is {} characters as X12 spells it ({spelled}); the most is {max_chars}",
            spelled.len()
        ));
    }
    Ok(spelled)
}

/// Checks names about to be sent in X12, each as `(field, name, max_chars)`, and names every one
/// that cannot be (a name stored before names were checked where they are entered).
pub fn check_x12_names(names: &[(&str, &str, usize)]) -> Result<(), Invalid> {
    let errors: Vec<FieldError> = names
        .iter()
        .filter_map(|(field, name, max)| {
            check_x12_name(name, *max).err().map(|message| {
                FieldError::new(
                    *field,
                    format!("{message}; it was stored before names were checked: correct it"),
                )
            })
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Invalid(errors))
    }
}

/// Checks the names of the people of one subscriber loop about to be sent in X12 — the
/// client, and the policy holder when `holder` is another person — naming each field that cannot
/// be sent (a 270 or 837 would otherwise ask about, or bill for, somebody else).
pub fn check_client_names(
    client: &super::client::NewClient,
    holder: Option<&super::coverage::Subscriber>,
) -> Result<(), Invalid> {
    use super::person::{FIRST_NAME_MAX, LAST_NAME_MAX};
    let mut names = vec![
        (
            "client.first_name",
            client.first_name.as_str(),
            FIRST_NAME_MAX,
        ),
        ("client.last_name", client.last_name.as_str(), LAST_NAME_MAX),
    ];
    if let Some(holder) = holder {
        names.push((
            "coverage.subscriber.first_name",
            holder.first_name.as_str(),
            FIRST_NAME_MAX,
        ));
        names.push((
            "coverage.subscriber.last_name",
            holder.last_name.as_str(),
            LAST_NAME_MAX,
        ));
    }
    check_x12_names(&names)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn x12(text: &str) -> String {
        to_x12_basic(text).unwrap_or_else(|c| panic!("{text:?}: {c:?}"))
    }

    #[test]
    fn latin_names_lose_their_marks_and_are_uppercased() {
        for (typed, sent) in [
            ("José Núñez", "JOSE NUNEZ"),
            ("O’Brien", "O'BRIEN"),
            ("O‘Brien", "O'BRIEN"),
            ("O`Brien", "O'BRIEN"),
            ("Strauß", "STRAUSS"),
            ("Ærøskøbing", "AEROSKOBING"),
            ("Łukasz Żółć", "LUKASZ ZOLC"),
            ("François Ćirić-Đorđević", "FRANCOIS CIRIC-DORDEVIC"),
            ("Þórður Guðjónsson", "THORDUR GUDJONSSON"),
            ("Œdipe Lætitia", "OEDIPE LAETITIA"),
            ("Ĳsbrand", "IJSBRAND"),
            ("Nguyễn Thị Phượng", "NGUYEN THI PHUONG"),
            ("Ştefan Ţurcanu", "STEFAN TURCANU"),
            ("Şahin Ağaoğlu İnönü", "SAHIN AGAOGLU INONU"),
            ("Əliyev", "ALIYEV"),
            ("Kaʻiulani", "KA'IULANI"),
            ("Mary-Kate  St. John", "MARY-KATE ST. JOHN"),
            ("Anne–Marie", "ANNE-MARIE"),
            ("Col·legi", "COLLEGI"),
            ("Jose\u{301}", "JOSE"),
            ("  Ana\u{a0}María\t", "ANA MARIA"),
            ("ǃXóõ", "!XOO"),
        ] {
            assert_eq!(x12(typed), sent, "{typed}");
        }
    }

    #[test]
    fn other_scripts_symbols_and_emoji_are_refused_naming_the_character() {
        for (typed, first) in [
            ("Иван Petrov", 'И'),
            ("Petrov Йосиф", 'Й'),
            ("王芳", '王'),
            ("Γιώργος", 'Γ'),
            ("محمد", 'م'),
            ("דוד", 'ד'),
            ("Kim 김", '김'),
            ("Ana 😀", '😀'),
            ("Ana ❤️", '❤'),
            ("Ana 1\u{fe0f}\u{20e3}", '\u{fe0f}'),
            ("Ana™", '™'),
            ("Ana#2", '#'),
            ("Ana_B", '_'),
            ("A*B", '*'),
            ("A:B", ':'),
            ("Ａna", 'Ａ'),
            ("Ƨa", 'Ƨ'),
        ] {
            assert_eq!(to_x12_basic(typed), Err(first), "{typed}");
        }
    }

    #[test]
    fn every_latin_letter_of_the_latin_blocks_is_spelled_in_capitals_or_listed_as_refused() {
        let blocks = ('\u{C0}'..='\u{24F}')
            .chain('\u{1E00}'..='\u{1EFF}')
            .chain('\u{FB00}'..='\u{FB06}');
        for c in blocks.filter(|c| c.is_alphabetic()) {
            let spelled = to_x12_basic(&c.to_string());
            if NO_ASCII_SPELLING.contains(&c) {
                assert_eq!(spelled, Err(c));
            } else {
                let spelled = spelled.unwrap_or_else(|_| panic!("{c} U+{:04X}", c as u32));
                assert!(!spelled.is_empty(), "{c}");
                assert!(
                    spelled.chars().all(|s| basic(s) == Some(s)),
                    "{c} → {spelled}"
                );
            }
        }
    }

    #[test]
    fn comparable_ignores_case_marks_spaces_hyphens_apostrophes_and_periods() {
        assert_eq!(comparable("Núñez-O’Brien Jr."), "NUNEZOBRIENJR");
        assert_eq!(comparable("NUNEZ OBRIEN JR"), "NUNEZOBRIENJR");
        assert_eq!(comparable("Strauß"), comparable("STRAUSS"));
        assert_eq!(comparable("Иван"), "ИВАН");
        assert_ne!(comparable("Иван"), comparable("Ivan"));
    }

    #[test]
    fn a_name_is_checked_when_entered_and_taken_as_stored_when_read_back() {
        let refused = parse_person_name("Иван", 35, NameRule::Entered).unwrap_err();
        assert!(
            refused.starts_with("must be written in Latin letters; 'И' cannot be sent"),
            "{refused}"
        );
        assert_eq!(
            parse_person_name("Иван", 35, NameRule::Stored)
                .unwrap()
                .as_str(),
            "Иван"
        );
        // Stored as typed: the X12 spelling is made only where X12 is written.
        assert_eq!(
            parse_person_name(" José ", 35, NameRule::Entered)
                .unwrap()
                .as_str(),
            "José"
        );
        // Both rules keep the safe-text rule.
        assert!(parse_person_name("A*B", 35, NameRule::Stored).is_err());
    }

    #[test]
    fn a_name_longer_once_spelled_or_spelled_as_nothing_is_refused() {
        let name = format!("{}ß", "a".repeat(34));
        assert_eq!(name.chars().count(), 35);
        let refused = check_x12_name(&name, 35).unwrap_err();
        assert!(refused.starts_with("is 36 characters"), "{refused}");
        assert!(check_x12_name("·", 35).is_err());
        assert_eq!(check_x12_name("Núñez", 60).unwrap(), "NUNEZ");
    }

    #[test]
    fn stored_names_that_cannot_be_sent_are_each_named() {
        let invalid = check_x12_names(&[
            ("client.first_name", "Иван", 35),
            ("client.last_name", "Núñez", 60),
            ("coverage.subscriber.last_name", "王", 60),
        ])
        .unwrap_err();
        let fields: Vec<&str> = invalid.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["client.first_name", "coverage.subscriber.last_name"]
        );
        assert!(check_x12_names(&[("client.last_name", "Núñez", 60)]).is_ok());
    }

    /// Letters of the Latin blocks with an ASCII spelling, and what separates name parts.
    fn latin_alphabet() -> Vec<char> {
        ('A'..='Z')
            .chain('a'..='z')
            .chain('\u{C0}'..='\u{24F}')
            .chain('\u{1E00}'..='\u{1EFF}')
            .filter(|c| c.is_alphabetic() && !NO_ASCII_SPELLING.contains(c))
            .chain([' ', '-', '\'', '’', '‘', 'ʻ', '.', '\u{301}', '\u{308}'])
            .collect()
    }

    proptest! {
        #[test]
        fn any_latin_script_name_is_spelled_in_printable_ascii_without_a_delimiter(
            name in prop::collection::vec(prop::sample::select(latin_alphabet()), 1..40)
                .prop_map(|cs| cs.into_iter().collect::<String>())
        ) {
            let spelled = to_x12_basic(&name).unwrap();
            prop_assert!(spelled.chars().all(|c| (' '..='~').contains(&c)), "{spelled}");
            prop_assert!(!spelled.contains(['*', ':', '~', '^', '|']), "{spelled}");
            prop_assert!(!spelled.chars().any(|c| c.is_ascii_lowercase()), "{spelled}");
            prop_assert!(!spelled.starts_with(' ') && !spelled.ends_with(' ') && !spelled.contains("  "));
            prop_assert_eq!(to_x12_basic(&spelled).unwrap(), spelled.clone());
            prop_assert_eq!(comparable(&name), comparable(&spelled));
        }

        #[test]
        fn a_letter_of_another_script_anywhere_refuses_the_name(
            before in "[A-Za-z ]{0,10}",
            other in prop::sample::select(vec!['Ж', 'я', 'Ω', 'λ', '中', 'ひ', 'ア', 'ب', 'ש', 'ก', 'क', '한', '🙂']),
            after in "[A-Za-z ]{0,10}",
        ) {
            prop_assert_eq!(to_x12_basic(&format!("{before}{other}{after}")), Err(other));
        }
    }
}
