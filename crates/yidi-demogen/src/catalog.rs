//! The payment catalogs of the treatment provinces (`catalog/PROVINCE.csv`).
//!
//! One national code set (drugs, services, materials) is shared by every province, as real
//! national codes are; each province varies a few classes, its 乙类 self-pay ratio and its price
//! caps, as provincial catalogs do. A few rows change on 2025-07-01 to show catalog versions.

use std::collections::BTreeSet;

use crate::drugs::{self, Drug};
use crate::reference::Reference;
use crate::rng::fnv1a;
use crate::services::{self, Entry, INPATIENT_ONLY};

/// Demo date of the catalogs in force before 2025 (the 2023 national list).
const LIST_BEGIN: &str = "2023-01-01";
/// The mid-2025 catalog revision.
pub const REVISION: &str = "2025-07-01";
const BEFORE_REVISION: &str = "2025-06-30";

#[derive(Clone, Debug)]
pub struct Item {
    pub code: String,
    pub name: String,
    pub list_type: &'static str,
    /// 1 甲类, 2 乙类, 3 丙类.
    pub class: u8,
    /// Item-specific 乙类 ratio; `None` = the province's usual ratio.
    pub selfpay_bp: Option<u32>,
    /// The usual unit price; provinces cap some items around it.
    pub price_fen: i64,
    pub capped: bool,
    pub med_types: &'static str,
    pub min_level: Option<u8>,
    pub dise: Option<&'static str>,
    pub begndate: &'static str,
}

/// One row of a province's catalog file.
#[derive(Clone, Debug)]
pub struct Row {
    pub code: String,
    pub name: String,
    pub list_type: &'static str,
    pub class: u8,
    pub selfpay_bp: Option<u32>,
    pub cap_fen: Option<i64>,
    pub med_types: &'static str,
    pub min_level: Option<u8>,
    pub dise: Option<&'static str>,
    pub begndate: &'static str,
    pub enddate: Option<&'static str>,
}

/// The national code set, sorted by code.
pub fn items(reference: &Reference) -> Vec<Item> {
    let mut items: Vec<Item> = drugs::assign_codes(drugs::select(reference))
        .into_iter()
        .map(|(code, d)| drug_item(code, &d))
        .collect();
    items.extend(services::SERVICES.iter().map(|e| entry_item(e, "service")));
    items.extend(services::MATERIALS.iter().map(|e| entry_item(e, "material")));
    items.iter_mut().for_each(apply_hint);
    for item in items
        .iter_mut()
        .filter(|i| REVISED.iter().any(|(n, c)| *n == i.name && matches!(c, Change::ToClassA)))
    {
        (item.class, item.selfpay_bp) = (2, None);
    }
    items.sort_by(|a, b| a.code.cmp(&b.code));
    assert!(items.windows(2).all(|w| w[0].code != w[1].code), "duplicate catalog code");
    items
}

fn entry_item(e: &Entry, list_type: &'static str) -> Item {
    Item {
        code: e.code.to_string(),
        name: e.name.to_string(),
        list_type,
        class: e.class,
        selfpay_bp: e.selfpay_bp,
        price_fen: e.price_fen,
        capped: e.capped,
        med_types: e.med_types,
        min_level: e.min_level,
        dise: e.dise,
        begndate: LIST_BEGIN,
    }
}

/// Class, restrictions and price of a drug from its ATC group, its form and a stable hash.
fn drug_item(code: String, d: &Drug) -> Item {
    let h = fnv1a(code.as_bytes());
    let atc = d.atc.as_str();
    let injection = d.form_letter == 'C';
    let mut item = Item {
        code,
        name: d.name.clone(),
        list_type: "drug",
        class: if d.essential || h % 100 < 55 {
            1
        } else if h % 100 < 95 {
            2
        } else {
            3
        },
        selfpay_bp: None,
        price_fen: round10(span(h >> 8, if injection { 300 } else { 800 }, 6_000)),
        capped: (h >> 20) % 100 < 20,
        med_types: "",
        min_level: None,
        dise: None,
        begndate: if (h >> 28) % 100 < 3 { "2025-01-01" } else { LIST_BEGIN },
    };
    restrict_drug(&mut item, atc, injection, h);
    item
}

/// National-style payment restrictions (限定支付范围) by ATC group.
fn restrict_drug(item: &mut Item, atc: &str, injection: bool, h: u64) {
    let expensive = |lo, hi| round10(span(h >> 12, lo, hi));
    if atc.starts_with("L01") {
        item.class = 2;
        item.selfpay_bp = Some(1000);
        item.dise = Some("C");
        item.price_fen = expensive(20_000, 200_000);
        if atc.starts_with("L01XC") || atc.starts_with("L01XE") {
            item.min_level = Some(2);
            item.selfpay_bp = Some(2000);
        }
    } else if atc.starts_with("L04AB") {
        (item.class, item.selfpay_bp, item.min_level) = (2, Some(3000), Some(2));
        item.price_fen = expensive(100_000, 300_000);
    } else if ["J01DH", "J01XA", "J01XX", "J02AC03"].iter().any(|p| atc.starts_with(p)) {
        (item.class, item.min_level) = (2, Some(2));
        item.price_fen = expensive(5_000, 30_000);
    } else if atc.starts_with("A10BH") {
        (item.class, item.dise) = (2, Some("E11"));
    } else if ["J05AF07", "J05AF08", "L03AB11"].contains(&atc) {
        (item.class, item.dise) = (2, Some("B18"));
    } else if atc == "B03XA01" {
        (item.class, item.dise) = (2, Some("N18"));
    } else if atc == "R03BB04" {
        (item.class, item.dise) = (2, Some("J44"));
    } else if atc == "B05AA01" {
        (item.class, item.selfpay_bp, item.med_types) = (2, Some(2000), INPATIENT_ONLY);
        item.price_fen = expensive(35_000, 50_000);
    } else if atc.starts_with("N01A") && injection {
        item.med_types = INPATIENT_ONLY;
    } else if atc.starts_with("L04AD") {
        item.price_fen = expensive(15_000, 60_000);
    }
    if item.class == 3 {
        item.selfpay_bp = None;
    }
}

/// A value in `lo..=hi` from hash bits.
fn span(bits: u64, lo: i64, hi: i64) -> i64 {
    lo + (bits % (hi - lo + 1) as u64) as i64
}

fn round10(fen: i64) -> i64 {
    (fen + 5) / 10 * 10
}

/// The province's usual 乙类 pre-self-pay ratio (demo values, 5–20 %).
pub fn province_selfpay_bp(province: &str) -> u32 {
    match &province[..2] {
        "32" => 500,
        "14" | "36" | "61" => 1500,
        "15" => 2000,
        _ => 1000,
    }
}

/// Usual price (fen) and class of the drugs the claims use, so the story reads like real bills.
const DRUG_HINTS: &[(&str, i64, u8)] = &[
    ("苯磺酸氨氯地平片", 2_850, 1),
    ("阿托伐他汀钙片", 3_560, 2),
    ("缬沙坦胶囊", 2_690, 2),
    ("阿司匹林片", 1_580, 1),
    ("盐酸二甲双胍片", 1_240, 1),
    ("阿卡波糖片", 3_980, 2),
    ("磷酸西格列汀片", 5_630, 2),
    ("格列美脲片", 2_360, 1),
    ("硫酸氢氯吡格雷片", 4_520, 2),
    ("单硝酸异山梨酯片", 1_860, 1),
    ("瑞舒伐他汀钙片", 3_350, 2),
    ("酒石酸美托洛尔片", 920, 1),
    ("奥美拉唑胶囊", 1_850, 1),
    ("铝碳酸镁片", 2_160, 2),
    ("头孢克洛胶囊", 2_480, 2),
    ("阿莫西林胶囊", 980, 1),
    ("布洛芬片", 650, 1),
    ("盐酸氨溴索片", 890, 1),
    ("孟鲁司特钠颗粒", 4_860, 2),
    ("丁苯酞软胶囊", 18_600, 2),
    ("依达拉奉注射液", 2_850, 2),
    ("注射用头孢曲松钠", 1_260, 1),
    ("注射用头孢唑林钠", 580, 1),
    ("氯化钠注射液", 350, 1),
    ("葡萄糖注射液", 420, 1),
    ("丙泊酚注射液", 4_600, 1),
    ("枸橼酸舒芬太尼注射液", 6_800, 1),
    ("罗库溴铵注射液", 9_200, 2),
    ("人血白蛋白注射液", 42_000, 2),
    ("低分子肝素钠注射液", 2_980, 2),
    ("注射用泮托拉唑钠", 2_350, 2),
    ("重组人促红素注射液", 4_200, 2),
    ("注射用左卡尼汀", 1_680, 2),
    ("注射用蔗糖铁", 9_800, 2),
];

fn apply_hint(item: &mut Item) {
    if let Some((_, price, class)) = DRUG_HINTS.iter().find(|(n, _, _)| *n == item.name) {
        (item.price_fen, item.class) = (*price, *class);
        if *class != 2 {
            item.selfpay_bp = None;
        }
    }
}

/// The rows of one province's catalog, sorted by code then begin date. Items the demo claims
/// use (`core`) keep their national class and price everywhere, so the story is predictable.
pub fn province_rows(items: &[Item], province: &str, core: &BTreeSet<&str>) -> Vec<Row> {
    let mut rows = Vec::new();
    for item in items {
        let h = fnv1a(format!("{province}{}", item.code).as_bytes());
        let is_core = core.contains(item.name.as_str());
        let mut class = item.class;
        if !is_core && class != 3 && item.dise.is_none() && h % 100 < 8 {
            class = 3 - class; // 甲 ↔ 乙
        }
        let selfpay = (class == 2).then(|| item.selfpay_bp.unwrap_or(province_selfpay_bp(province)));
        let cap = item.capped.then(|| {
            let pct = if is_core { 100 } else { 95 + (h >> 8) % 16 } as i64;
            round10(item.price_fen * pct / 100).max(10)
        });
        let row = Row {
            code: item.code.clone(),
            name: item.name.clone(),
            list_type: item.list_type,
            class,
            selfpay_bp: selfpay,
            cap_fen: cap,
            med_types: item.med_types,
            min_level: item.min_level,
            dise: item.dise,
            begndate: item.begndate,
            enddate: None,
        };
        rows.extend(revise(row, h));
    }
    for pair in rows.windows(2).filter(|p| p[0].code == p[1].code) {
        let ordered = pair[0].enddate.is_some_and(|end| end < pair[1].begndate);
        assert!(ordered, "{province}: versions of {} overlap", pair[0].code);
    }
    rows
}

/// The 2025-07-01 revision: a few national changes everywhere, plus about 1 % of each province's
/// 乙类 drugs moving to 甲类. A revised item becomes two rows with adjacent date ranges.
fn revise(row: Row, h: u64) -> Vec<Row> {
    let national = REVISED.iter().find(|(name, _)| *name == row.name).map(|(_, change)| *change);
    let local = row.list_type == "drug" && row.class == 2 && (h >> 40) % 100 < 1 && row.dise.is_none();
    let change = match (national, local) {
        (Some(c), _) => c,
        (None, true) => Change::ToClassA,
        (None, false) => return vec![row],
    };
    let mut old = row.clone();
    old.enddate = Some(BEFORE_REVISION);
    let mut new = row;
    new.begndate = REVISION;
    match change {
        Change::ToClassA => (new.class, new.selfpay_bp) = (1, None),
        Change::CapPct(pct) => new.cap_fen = new.cap_fen.map(|c| round10(c * pct / 100)),
    }
    vec![old, new]
}

#[derive(Clone, Copy, Debug)]
enum Change {
    ToClassA,
    CapPct(i64),
}

/// National changes of 2025-07-01 (demo): a statin moves to 甲类; stent and dialysis caps fall.
const REVISED: &[(&str, Change)] = &[
    ("阿托伐他汀钙片", Change::ToClassA),
    ("冠状动脉药物洗脱支架", Change::CapPct(85)),
    ("血液透析", Change::CapPct(95)),
];

/// The unit price a facility in this province charges for an item on a date: the cap where one
/// exists (official price), else the usual price.
pub fn price_in(rows: &[Row], items: &[Item], code: &str, date: &str) -> i64 {
    let row = rows
        .iter()
        .find(|r| r.code == code && r.begndate <= date && r.enddate.is_none_or(|e| date <= e))
        .unwrap_or_else(|| panic!("{code} not in force on {date}"));
    row.cap_fen.unwrap_or_else(|| items.iter().find(|i| i.code == code).expect("item").price_fen)
}

/// The CSV cells of a row, in the header order of `HEADER`.
pub fn cells(row: &Row) -> Vec<String> {
    vec![
        row.code.clone(),
        row.name.clone(),
        row.list_type.to_string(),
        format!("{:02}", row.class),
        crate::out::opt(row.selfpay_bp),
        crate::out::opt(row.cap_fen),
        row.med_types.to_string(),
        crate::out::opt(row.min_level),
        crate::out::opt(row.dise),
        row.begndate.to_string(),
        crate::out::opt(row.enddate),
    ]
}

pub const HEADER: [&str; 11] = [
    "med_list_codg",
    "name",
    "list_type",
    "chrgitm_lv",
    "selfpay_prop_bp",
    "pric_uplmt_amt",
    "lmt_med_types",
    "lmt_min_level",
    "lmt_dise_prefix",
    "begndate",
    "enddate",
];
