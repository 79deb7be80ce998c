//! Masking result values: columns named in the configuration or by the
//! built-in sensitive-name rules, and values that look like secrets.
//!
//! A masked value becomes `****` when the client reads the column as text
//! (any type in the text format; text types in the binary format, whose
//! bytes are the text), and NULL when it reads another type in the binary
//! format, where `****` would not decode. A value that merely holds a
//! secret (`password=hunter2` in a notes column) keeps its other text, with
//! the secret masked as everywhere else ([`guardrail_core::secret::mask`]).
//!
//! Cost: rows of results with no masked column and no text column pass
//! untouched; text values are scanned by the secret detectors (about a
//! microsecond for a short value), and a row with something to mask is
//! rebuilt.

use std::sync::Arc;

use bytes::{BufMut, Bytes, BytesMut};

use crate::wire::{self, Fields, WireError};

/// Text types, whose binary format is the text itself.
const TEXT_TYPES: &[u32] = &[25, 1043, 1042, 19, 705, 114];

/// What the proxy masks.
#[derive(Clone, Debug, Default)]
pub struct MaskRules {
    /// Column names masked whatever their values (lower case).
    pub columns: Vec<String>,
    /// Whether the built-in sensitive names apply.
    pub builtin: bool,
    /// Whether text values are scanned for secrets.
    pub values: bool,
}

impl MaskRules {
    pub fn masks_column(&self, name: &str) -> bool {
        let lower = name.to_ascii_lowercase();
        self.columns.contains(&lower) || (self.builtin && guardrail_core::secret::names_sensitive_data(&lower))
    }
}

/// How one result column is treated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Treatment {
    /// Passed as it is.
    Pass,
    /// Scanned for secrets (text).
    Scan,
    /// Replaced by `****`.
    Stars,
    /// Replaced by NULL.
    Null,
}

/// A result's columns as described by a RowDescription: name and type,
/// and the table column it comes from, when it comes straight from one.
#[derive(Clone, Debug, Default)]
pub struct Column {
    pub name: String,
    pub type_oid: u32,
    pub format: i16,
    /// The table's OID and the column's number in it (0 when the value is
    /// computed).
    pub table_oid: u32,
    pub attnum: i16,
    /// The table column's own name, once looked up: an alias
    /// (`SELECT ssn AS x`) does not hide it.
    pub source: Option<String>,
    /// Masked whatever its names: where it comes from could not be read,
    /// or it is computed over masked columns.
    pub unknown_source: bool,
}

/// Reads a RowDescription's columns.
pub fn columns(body: &Bytes) -> Result<Vec<Column>, WireError> {
    let mut fields = Fields(body.clone());
    let count = fields.i16()?.max(0) as usize;
    let mut columns = Vec::with_capacity(count);
    for _ in 0..count {
        let name = fields.str()?;
        let table_oid = fields.i32()? as u32;
        let attnum = fields.i16()?;
        let type_oid = fields.i32()? as u32;
        let _size = fields.i16()?;
        let _modifier = fields.i32()?;
        let format = fields.i16()?;
        columns.push(Column { name, type_oid, format, table_oid, attnum, source: None, unknown_source: false });
    }
    Ok(columns)
}

/// The treatment of each column, when any column needs one; `None` when
/// rows pass untouched.
pub fn plan(rules: &MaskRules, columns: &[Column], formats: Option<&[i16]>) -> Option<Arc<Vec<Treatment>>> {
    let plan: Vec<Treatment> = columns
        .iter()
        .enumerate()
        .map(|(index, column)| {
            let format = match formats {
                // Bind's result formats: none (all text), one (for all), or one each.
                Some([]) => 0,
                Some([one]) => *one,
                Some(each) => each.get(index).copied().unwrap_or(0),
                None => column.format,
            };
            let text = format == 0 || TEXT_TYPES.contains(&column.type_oid);
            let masked = column.unknown_source
                || rules.masks_column(&column.name)
                || column.source.as_deref().is_some_and(|source| rules.masks_column(source));
            match (masked, text) {
                (true, true) => Treatment::Stars,
                (true, false) => Treatment::Null,
                (false, true) if rules.values && (format != 0 || !numeric(column.type_oid)) => Treatment::Scan,
                _ => Treatment::Pass,
            }
        })
        .collect();
    plan.iter().any(|treatment| *treatment != Treatment::Pass).then(|| Arc::new(plan))
}

/// Types whose text cannot hold a secret: numbers, booleans, dates.
fn numeric(oid: u32) -> bool {
    matches!(oid, 16 | 20 | 21 | 23 | 26 | 700 | 701 | 1700 | 1082 | 1083 | 1114 | 1184 | 1186 | 2950)
}

/// A DataRow with its values treated, or `None` when nothing changed.
pub fn row(body: &Bytes, plan: &[Treatment]) -> Result<Option<Bytes>, WireError> {
    let mut fields = Fields(body.clone());
    let count = fields.i16()?.max(0) as usize;
    let mut values: Vec<Option<Bytes>> = Vec::with_capacity(count);
    for _ in 0..count {
        let length = fields.i32()?;
        values.push(if length < 0 { None } else { Some(fields.bytes(length as usize)?) });
    }
    let mut changed = false;
    for (value, treatment) in values.iter_mut().zip(plan) {
        let Some(bytes) = value.as_ref() else { continue };
        match treatment {
            Treatment::Pass => {}
            Treatment::Stars => {
                *value = Some(Bytes::from_static(b"****"));
                changed = true;
            }
            Treatment::Null => {
                *value = None;
                changed = true;
            }
            Treatment::Scan => {
                let Ok(text) = std::str::from_utf8(bytes) else { continue };
                let spans = guardrail_core::secret::detect(text);
                if !spans.is_empty() {
                    let masked = guardrail_core::secret::mask(text, &spans).into_owned();
                    *value = Some(Bytes::from(masked));
                    changed = true;
                }
            }
        }
    }
    if !changed {
        return Ok(None);
    }
    let mut out = BytesMut::with_capacity(body.len());
    out.put_i16(count as i16);
    for value in &values {
        match value {
            None => out.put_i32(-1),
            Some(bytes) => {
                out.put_i32(bytes.len() as i32);
                out.extend_from_slice(bytes);
            }
        }
    }
    Ok(Some(out.freeze()))
}

/// The result formats of a Bind message (after its parameters).
pub fn bind_result_formats(body: &Bytes) -> Result<Vec<i16>, WireError> {
    let mut fields = Fields(body.clone());
    let _portal = fields.str()?;
    let _statement = fields.str()?;
    let parameter_formats = fields.i16()?.max(0) as usize;
    for _ in 0..parameter_formats {
        fields.i16()?;
    }
    let parameters = fields.i16()?.max(0) as usize;
    for _ in 0..parameters {
        let length = fields.i32()?;
        if length > 0 {
            fields.bytes(length as usize)?;
        }
    }
    let results = fields.i16()?.max(0) as usize;
    (0..results).map(|_| fields.i16()).collect()
}

/// Writes a DataRow with `body`.
pub fn write_row(out: &mut BytesMut, body: &[u8]) {
    wire::put(out, b'D', |out| out.extend_from_slice(body));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data_row(values: &[Option<&[u8]>]) -> Bytes {
        let mut out = BytesMut::new();
        out.put_i16(values.len() as i16);
        for value in values {
            match value {
                None => out.put_i32(-1),
                Some(bytes) => {
                    out.put_i32(bytes.len() as i32);
                    out.extend_from_slice(bytes);
                }
            }
        }
        out.freeze()
    }

    fn column(name: &str, type_oid: u32, format: i16) -> Column {
        Column { name: name.into(), type_oid, format, ..Column::default() }
    }

    #[test]
    fn sensitive_columns_and_secret_values_are_masked_in_both_formats() {
        let rules = MaskRules { columns: vec!["email".into()], builtin: true, values: true };
        let columns = [
            column("id", 23, 1),
            column("email", 25, 0),
            column("ssn", 1043, 1),
            column("api_token", 17, 1),
            column("notes", 25, 0),
            column("sort_key", 25, 0),
        ];
        let plan = plan(&rules, &columns, None).unwrap();
        assert_eq!(
            *plan,
            vec![
                Treatment::Pass,
                Treatment::Stars,
                Treatment::Stars,
                Treatment::Null,
                Treatment::Scan,
                Treatment::Scan
            ]
        );
        let body = data_row(&[
            Some(&[0, 0, 0, 7]),
            Some(b"ada@example.com"),
            Some(b"123-45-6789"),
            Some(b"\x01\x02"),
            Some(b"rotated: password=hunter2 today"),
            Some(b"k1"),
        ]);
        let masked = row(&body, &plan).unwrap().expect("something to mask");
        let text = String::from_utf8_lossy(&masked);
        for secret in ["ada@example.com", "123-45-6789", "hunter2"] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        assert!(text.contains("rotated: password="), "{text}");
        assert!(text.contains("k1"));
        // A row with nothing to mask passes untouched.
        let clean = data_row(&[Some(&[0, 0, 0, 7]), None, None, None, Some(b"fine"), Some(b"k2")]);
        assert!(row(&clean, &plan).unwrap().is_none());
    }

    #[test]
    fn results_with_nothing_to_mask_need_no_plan() {
        let rules = MaskRules { columns: vec![], builtin: true, values: true };
        assert!(plan(&rules, &[column("aid", 23, 0), column("abalance", 23, 0)], None).is_none());
        // Bind's formats override the description's.
        let plan = plan(&rules, &[column("password", 25, 0)], Some(&[1])).unwrap();
        assert_eq!(*plan, vec![Treatment::Stars]);
        // An alias does not hide the table column's name.
        let aliased = Column { source: Some("ssn".into()), ..column("x", 25, 0) };
        let plan = super::plan(&rules, &[aliased], None).unwrap();
        assert_eq!(*plan, vec![Treatment::Stars]);
    }
}
