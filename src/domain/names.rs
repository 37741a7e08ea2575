//! Names as people write them, and as X12 can carry them.

/// A name reduced for comparison: Latin letters without their marks, uppercased, with spaces,
/// hyphens, apostrophes and periods left out, so `Núñez-O’Brien` and `NUNEZ OBRIEN` compare
/// equal. Characters outside the Latin script are kept as they are (they compare only with
/// themselves).
pub fn comparable(text: &str) -> String {
    text.chars()
        .filter(|c| !matches!(c, ' ' | '-' | '\'' | '\u{2019}' | '\u{2018}' | '.' | '`'))
        .flat_map(|c| {
            let plain: String = match c {
                'À'..='Å' | 'à'..='å' => "A".into(),
                'Ç' | 'ç' => "C".into(),
                'È'..='Ë' | 'è'..='ë' => "E".into(),
                'Ì'..='Ï' | 'ì'..='ï' => "I".into(),
                'Ñ' | 'ñ' => "N".into(),
                'Ò'..='Ö' | 'Ø' | 'ò'..='ö' | 'ø' => "O".into(),
                'Ù'..='Ü' | 'ù'..='ü' => "U".into(),
                'Ý' | 'ý' | 'ÿ' => "Y".into(),
                'ß' => "SS".into(),
                'Æ' | 'æ' => "AE".into(),
                other => other.to_uppercase().collect(),
            };
            plain.chars().collect::<Vec<_>>()
        })
        .collect()
}
