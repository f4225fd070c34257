//! Reading typed values out of an `input` node with the tolerance rules of `protocol.md` §2.3,
//! collecting every problem with its path instead of stopping at the first.
//!
//! Required readers return a placeholder after recording a problem: a message with any problem
//! is refused as a whole, so placeholders never leave this crate.

use serde_json::{Map, Value};
use yidi_domain::{Date, DateTime, Fen, MoneyError, Price, Qty};

use crate::errors::{Problem, ProtocolError};
use crate::json::plain_number;
use crate::limits::{AMOUNT_FEN_MAX, CNT_TEN_THOUSANDTHS_MAX, PRIC_MICRO_YUAN_MAX};

/// Why reading stopped early: field problems (all in the reader) or a list over its limit.
pub(crate) enum Stop {
    Fields,
    TooLarge(ProtocolError),
}

/// An object node and its path from the envelope root.
#[derive(Clone)]
pub(crate) struct Obj<'a> {
    pub map: &'a Map<String, Value>,
    pub path: String,
}

/// How a code must look (§6 "Dictionaries").
#[derive(Clone, Copy)]
pub(crate) enum Code {
    /// Free text of at most this many characters (ids, names, texts).
    Text(usize),
    /// Printable ASCII without spaces, at most this many characters (`omsgid`).
    Ascii(usize),
    /// `min`–`max` digits.
    Digits(usize, usize),
    /// 1–`max` letters or digits (open dictionaries: `diag_type`, `dscg_way`, `caty`, …).
    Alnum(usize),
    /// One of a closed list (`psn_setlway` `01`, `mid_setl_flag` `0`).
    Closed(&'static [&'static str]),
}

/// The scalar text of a field, or why it has none.
enum Text {
    Absent,
    Given(String),
    Bad(String),
}

pub(crate) struct Reader {
    pub problems: Vec<Problem>,
}

fn child(path: &str, key: &str) -> String {
    format!("{path}.{key}")
}

fn digits_only(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

impl Reader {
    pub fn new() -> Reader {
        Reader { problems: Vec::new() }
    }

    pub fn problem(&mut self, path: impl Into<String>, reason: impl Into<String>) {
        self.problems.push(Problem::new(path, reason));
    }

    /// `""` and `null` are absent; numbers give their exact text.
    fn scalar(o: &Obj<'_>, key: &str, numbers_as_codes: bool) -> Text {
        match o.map.get(key) {
            None | Some(Value::Null) => Text::Absent,
            Some(Value::String(s)) if s.trim().is_empty() => Text::Absent,
            Some(Value::String(s)) => Text::Given(s.trim().to_string()),
            Some(Value::Number(n)) => {
                let text = plain_number(&n.to_string());
                if numbers_as_codes && !digits_only(&text) {
                    Text::Bad(format!("应为字符串，数值 {n} 不是有效的代码"))
                } else {
                    Text::Given(text)
                }
            }
            Some(Value::Bool(_)) => Text::Bad("应为字符串，而不是布尔值".to_string()),
            Some(Value::Array(_) | Value::Object(_)) => {
                Text::Bad("应为字符串或数值，而不是对象或数组".to_string())
            }
        }
    }

    /// The text of a field, recording a problem when it is malformed or (if `required`) absent.
    fn given(&mut self, o: &Obj<'_>, key: &str, required: bool, codes: bool) -> Option<String> {
        match Reader::scalar(o, key, codes) {
            Text::Given(s) => Some(s),
            Text::Absent => {
                if required {
                    self.problem(child(&o.path, key), "必填，不能为空");
                }
                None
            }
            Text::Bad(reason) => {
                self.problem(child(&o.path, key), reason);
                None
            }
        }
    }

    pub fn code(&mut self, o: &Obj<'_>, key: &str, rule: Code) -> Option<String> {
        let value = self.given(o, key, false, true)?;
        match check_code(&value, rule) {
            Ok(()) => Some(value),
            Err(reason) => {
                self.problem(child(&o.path, key), reason);
                None
            }
        }
    }

    pub fn req_code(&mut self, o: &Obj<'_>, key: &str, rule: Code) -> String {
        if matches!(Reader::scalar(o, key, true), Text::Absent) {
            self.problem(child(&o.path, key), "必填，不能为空");
            return String::new();
        }
        self.code(o, key, rule).unwrap_or_default()
    }

    /// Whether a field carries a value (for conditional requirements).
    pub fn has(o: &Obj<'_>, key: &str) -> bool {
        !matches!(Reader::scalar(o, key, false), Text::Absent)
    }

    pub fn flag(&mut self, o: &Obj<'_>, key: &str) -> Option<bool> {
        if let Some(Value::Bool(b)) = o.map.get(key) {
            return Some(*b);
        }
        match self.given(o, key, false, true)?.as_str() {
            "0" => Some(false),
            "1" => Some(true),
            other => {
                let reason = format!("“{other}”无效，应为 0 或 1");
                self.problem(child(&o.path, key), reason);
                None
            }
        }
    }

    pub fn req_flag(&mut self, o: &Obj<'_>, key: &str) -> bool {
        if matches!(Reader::scalar(o, key, true), Text::Absent)
            && !matches!(o.map.get(key), Some(Value::Bool(_)))
        {
            self.problem(child(&o.path, key), "必填，不能为空");
            return false;
        }
        self.flag(o, key).unwrap_or(false)
    }

    fn decimal<T>(
        &mut self,
        o: &Obj<'_>,
        key: &str,
        parse: fn(&str) -> Result<T, MoneyError>,
        check: impl Fn(&str, &T) -> Result<(), String>,
    ) -> Option<T> {
        let text = self.given(o, key, false, false)?;
        let result = parse(&text).map_err(|e| e.to_string()).and_then(|v| check(&text, &v).map(|()| v));
        match result {
            Ok(v) => Some(v),
            Err(reason) => {
                self.problem(child(&o.path, key), reason);
                None
            }
        }
    }

    /// A yuan amount `N(16,2)`, exact; negative only when `signed`.
    pub fn amount(&mut self, o: &Obj<'_>, key: &str, signed: bool) -> Option<Fen> {
        self.decimal(o, key, Fen::parse_yuan, |text, v: &Fen| {
            if v.is_negative() && !signed {
                Err(MoneyError::Negative { text: text.to_string() }.to_string())
            } else if v.get().abs() > AMOUNT_FEN_MAX {
                Err(MoneyError::OutOfRange { text: text.to_string() }.to_string())
            } else {
                Ok(())
            }
        })
    }

    pub fn req_amount(&mut self, o: &Obj<'_>, key: &str, signed: bool) -> Fen {
        self.require(o, key);
        self.amount(o, key, signed).unwrap_or_default()
    }

    /// `cnt` `N(16,4)`: above 0, or (refunds) below 0 when `signed`; never 0.
    pub fn req_qty(&mut self, o: &Obj<'_>, key: &str, signed: bool) -> Qty {
        self.require(o, key);
        let qty = self.decimal(o, key, Qty::parse, |text, v: &Qty| {
            let units = v.ten_thousandths();
            if units == 0 || (units < 0 && !signed) {
                Err(format!("数量“{text}”应大于 0"))
            } else if units.abs() > CNT_TEN_THOUSANDTHS_MAX {
                Err(MoneyError::OutOfRange { text: text.to_string() }.to_string())
            } else {
                Ok(())
            }
        });
        qty.unwrap_or(Qty::from_ten_thousandths(1))
    }

    /// `pric` `N(16,6)`, not negative.
    pub fn req_price(&mut self, o: &Obj<'_>, key: &str) -> Price {
        self.require(o, key);
        let price = self.decimal(o, key, Price::parse, |text, v: &Price| {
            if v.is_negative() {
                Err(MoneyError::Negative { text: text.to_string() }.to_string())
            } else if v.micro_yuan() > PRIC_MICRO_YUAN_MAX {
                Err(MoneyError::OutOfRange { text: text.to_string() }.to_string())
            } else {
                Ok(())
            }
        });
        price.unwrap_or(Price::from_micro_yuan(0))
    }

    /// A non-negative whole number (`fixmedins_setl_cnt`, `yidi_page_num`), or signed.
    pub fn integer(&mut self, o: &Obj<'_>, key: &str, signed: bool) -> Option<i64> {
        let text = self.given(o, key, false, false)?;
        let body = if signed { text.strip_prefix('-').unwrap_or(&text) } else { &text };
        match body.parse::<i64>() {
            Ok(_) if digits_only(body) && body.len() <= 12 => Some(text.parse().expect("checked digits")),
            _ => {
                self.problem(child(&o.path, key), format!("“{text}”应为整数"));
                None
            }
        }
    }

    pub fn req_integer(&mut self, o: &Obj<'_>, key: &str, signed: bool) -> i64 {
        self.require(o, key);
        self.integer(o, key, signed).unwrap_or(0)
    }

    /// `DT`: `yyyy-MM-dd HH:mm:ss`, a `T` separator accepted.
    pub fn datetime(&mut self, o: &Obj<'_>, key: &str) -> Option<DateTime> {
        let text = self.given(o, key, false, false)?;
        match DateTime::parse(&text) {
            Ok(t) => Some(t),
            Err(e) => {
                self.problem(child(&o.path, key), e.to_string());
                None
            }
        }
    }

    pub fn req_datetime(&mut self, o: &Obj<'_>, key: &str) -> DateTime {
        self.require(o, key);
        self.datetime(o, key).unwrap_or(DateTime::from_epoch_secs(0))
    }

    /// `D`: `yyyy-MM-dd`, or a `DT` whose date is taken.
    pub fn date(&mut self, o: &Obj<'_>, key: &str) -> Option<Date> {
        let text = self.given(o, key, false, false)?;
        let parsed = if text.len() == 10 {
            Date::parse(&text).map_err(|e| e.to_string())
        } else {
            DateTime::parse(&text)
                .map(DateTime::date)
                .map_err(|_| format!("“{text}” 不是合法日期（应为 YYYY-MM-DD）"))
        };
        match parsed {
            Ok(d) => Some(d),
            Err(reason) => {
                self.problem(child(&o.path, key), reason);
                None
            }
        }
    }

    /// A required date, `None` (with the problem recorded) when absent or malformed.
    pub fn req_date(&mut self, o: &Obj<'_>, key: &str) -> Option<Date> {
        self.require(o, key);
        self.date(o, key)
    }

    /// Records "required" when the field is absent (the typed reader then sees nothing).
    fn require(&mut self, o: &Obj<'_>, key: &str) {
        if matches!(Reader::scalar(o, key, false), Text::Absent) {
            self.problem(child(&o.path, key), "必填，不能为空");
        }
    }
}

/// Reading nodes: objects and lists.
impl Reader {
    /// The `input` object itself.
    pub fn root<'a>(&mut self, input: &'a Value) -> Result<Obj<'a>, Stop> {
        match input {
            Value::Object(map) => Ok(Obj { map, path: "input".to_string() }),
            _ => {
                self.problem("input", "应为 JSON 对象");
                Err(Stop::Fields)
            }
        }
    }

    /// The object node `key` of `parent`, if given; a one-element array stands for its object.
    pub fn opt_node<'a>(&mut self, parent: &Obj<'a>, key: &str) -> Result<Option<Obj<'a>>, Stop> {
        let path = child(&parent.path, key);
        match parent.map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::Object(map)) => Ok(Some(Obj { map, path })),
            Some(Value::Array(items)) if items.len() == 1 && items[0].is_object() => {
                let map = items[0].as_object().expect("checked object");
                Ok(Some(Obj { map, path: format!("{path}[0]") }))
            }
            Some(_) => {
                self.problem(path, "应为 JSON 对象");
                Err(Stop::Fields)
            }
        }
    }

    /// The required object node `key` of `parent`.
    pub fn node<'a>(&mut self, parent: &Obj<'a>, key: &str) -> Result<Obj<'a>, Stop> {
        match self.opt_node(parent, key)? {
            Some(o) => Ok(o),
            None => {
                self.problem(child(&parent.path, key), "必填，不能为空");
                Err(Stop::Fields)
            }
        }
    }

    /// The array node `key` of `parent` (`None` if absent); one object is a one-element array.
    /// More than `len_max` elements is `too_large`, before any element is read.
    pub fn opt_list<'a>(
        &mut self,
        parent: &Obj<'a>,
        key: &str,
        len_max: usize,
    ) -> Result<Option<Vec<Obj<'a>>>, Stop> {
        let path = child(&parent.path, key);
        let items: Vec<&'a Value> = match parent.map.get(key) {
            None | Some(Value::Null) => return Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => return Ok(None),
            Some(Value::Array(items)) => items.iter().collect(),
            Some(one @ Value::Object(_)) => vec![one],
            Some(_) => {
                self.problem(path, "应为数组或对象");
                return Err(Stop::Fields);
            }
        };
        if items.len() > len_max {
            let reason = format!("共 {} 条，超过每次 {len_max} 条的上限，请分批上传", items.len());
            return Err(Stop::TooLarge(ProtocolError::too_large(path, reason)));
        }
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.into_iter().enumerate() {
            match item {
                Value::Object(map) => out.push(Obj { map, path: format!("{path}[{i}]") }),
                _ => self.problem(format!("{path}[{i}]"), "应为 JSON 对象"),
            }
        }
        Ok(Some(out))
    }

    /// The required array node `key` of `parent`, at least one element.
    pub fn list<'a>(&mut self, parent: &Obj<'a>, key: &str, len_max: usize) -> Result<Vec<Obj<'a>>, Stop> {
        let before = self.problems.len();
        match self.opt_list(parent, key, len_max)? {
            Some(items) if !items.is_empty() => Ok(items),
            _ if self.problems.len() > before => Err(Stop::Fields),
            _ => {
                self.problem(child(&parent.path, key), "必填，至少一条");
                Err(Stop::Fields)
            }
        }
    }
}

/// Checks a code's width and format; the reason names the value and what is allowed.
pub(crate) fn check_code(value: &str, rule: Code) -> Result<(), String> {
    let chars = value.chars().count();
    match rule {
        Code::Text(width) | Code::Ascii(width) if chars > width => {
            Err(format!("长度 {chars} 超过 {width} 个字符"))
        }
        Code::Text(_) => Ok(()),
        Code::Ascii(_) if value.bytes().all(|b| b.is_ascii_graphic()) => Ok(()),
        Code::Ascii(_) => Err(format!("“{value}”应只含可打印 ASCII 字符（不含空格和汉字）")),
        Code::Digits(min, max) if digits_only(value) && (min..=max).contains(&value.len()) => Ok(()),
        Code::Digits(min, max) if min == max => Err(format!("“{value}”应为 {min} 位数字")),
        Code::Digits(min, max) => Err(format!("“{value}”应为 {min}–{max} 位数字")),
        Code::Alnum(max) if chars <= max && value.chars().all(|c| c.is_ascii_alphanumeric()) => Ok(()),
        Code::Alnum(max) => Err(format!("“{value}”应为 1–{max} 位字母或数字")),
        Code::Closed(allowed) if allowed.contains(&value) => Ok(()),
        Code::Closed(allowed) => Err(format!("“{value}”无效，只能为 {}", allowed.join("、"))),
    }
}
