//! Policy errors that name the file, line and column, and point to the fix.

use std::fmt;

use super::Source;

/// One problem in a policy source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub source: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
    pub help: Option<String>,
}

impl Diagnostic {
    /// A problem at a byte offset of a source.
    pub(super) fn at(source: &Source, offset: usize, message: impl Into<String>) -> Diagnostic {
        let (line, column) = line_column(&source.text, offset);
        Diagnostic { source: source.name.clone(), line, column, message: message.into(), help: None }
    }

    /// A problem Cedar reported, located by its first label.
    pub(super) fn from_miette(source: &Source, error: &dyn miette::Diagnostic) -> Diagnostic {
        let labels: Vec<miette::LabeledSpan> = error.labels().map(|labels| labels.collect()).unwrap_or_default();
        let offset = labels.first().map(|label| label.offset()).unwrap_or(0);
        let mut message = error.to_string();
        // Cedar's labels often carry the useful half of the message
        // ("expected `!`, `(`, ..."); keep it.
        for label in &labels {
            if let Some(text) = label.label()
                && !message.contains(text)
            {
                message = format!("{message}: {text}");
            }
        }
        let mut diagnostic = Diagnostic::at(source, offset, message);
        diagnostic.help = error.help().map(|help| help.to_string());
        diagnostic
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: {}", self.source, self.line, self.column, self.message)?;
        if let Some(help) = &self.help {
            write!(f, " ({help})")?;
        }
        Ok(())
    }
}

/// Policies that could not be loaded, with every problem found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyError {
    pub diagnostics: Vec<Diagnostic>,
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, diagnostic) in self.diagnostics.iter().enumerate() {
            if index > 0 {
                writeln!(f)?;
            }
            write!(f, "{diagnostic}")?;
        }
        Ok(())
    }
}

impl std::error::Error for PolicyError {}

/// The 1-based line and column (in characters) of a byte offset.
pub(super) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |tail| tail.chars().count()) + 1;
    (line, column)
}

/// The byte offset where each policy of a source begins, in order: the
/// first character after the previous policy's `;` that is not blank or
/// part of a comment. Cedar's public API does not say where a parsed
/// policy came from, and errors are worth a line number.
pub(super) fn policy_starts(text: &str) -> Vec<usize> {
    let bytes = text.as_bytes();
    let mut starts = Vec::new();
    let mut depth = 0usize;
    let mut at_start = true;
    let mut index = 0;
    while index < bytes.len() {
        let byte = bytes[index];
        if byte == b'/' && bytes.get(index + 1) == Some(&b'/') {
            while index < bytes.len() && bytes[index] != b'\n' {
                index += 1;
            }
            continue;
        }
        if byte.is_ascii_whitespace() {
            index += 1;
            continue;
        }
        if at_start {
            starts.push(index);
            at_start = false;
        }
        match byte {
            b'"' => {
                index += 1;
                while index < bytes.len() && bytes[index] != b'"' {
                    index += if bytes[index] == b'\\' { 2 } else { 1 };
                }
            }
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            b';' if depth == 0 => at_start = true,
            _ => {}
        }
        index += 1;
    }
    starts
}

/// The known name closest to `name`, if it is a plausible misspelling.
pub(super) fn did_you_mean<'k>(name: &str, known: &[&'k str]) -> Option<&'k str> {
    known
        .iter()
        .map(|candidate| (edit_distance(name, candidate), *candidate))
        .filter(|(distance, candidate)| *distance <= 2.max(candidate.len() / 3))
        .min()
        .map(|(_, candidate)| candidate)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_starts_skip_comments_strings_and_nested_semicolons() {
        let text = "// head; comment\n@id(\"a;b\") permit(principal, action, resource);\n\n  forbid(principal, action, resource) when { \"x;\" == \"y\" };";
        let starts = policy_starts(text);
        assert_eq!(starts.len(), 2);
        assert!(text[starts[0]..].starts_with("@id"));
        assert!(text[starts[1]..].starts_with("forbid"));
    }

    #[test]
    fn line_and_column_are_one_based() {
        assert_eq!(line_column("ab\ncd", 0), (1, 1));
        assert_eq!(line_column("ab\ncd", 4), (2, 2));
    }

    #[test]
    fn misspellings_find_their_annotation_and_strangers_do_not() {
        assert_eq!(did_you_mean("verdcit", &super::super::KNOWN_ANNOTATIONS), Some("verdict"));
        assert_eq!(did_you_mean("reasons", &super::super::KNOWN_ANNOTATIONS), Some("reason"));
        assert_eq!(did_you_mean("owner", &super::super::KNOWN_ANNOTATIONS), None);
    }
}
