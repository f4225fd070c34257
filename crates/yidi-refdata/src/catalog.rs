//! `catalog/PROVINCE.csv`: each treatment province's payment catalog, every dated version.

use std::collections::{BTreeMap, HashMap};

use yidi_domain::{Bp, Catalog, CatalogItem, ChrgitmLv, DivisionCode, DivisionLevel, ListType, MedType};

use crate::divisions::Divisions;
use crate::files::{FileKind, PackFiles, classify, stem};
use crate::problem::Problems;
use crate::table::{Row, Schema, read_table};
use crate::values;
use crate::versions::{Version, check_overlaps};

const SCHEMA: Schema = Schema {
    required: &["med_list_codg", "name", "list_type", "chrgitm_lv", "begndate"],
    optional: &[
        "selfpay_prop_bp",
        "pric_uplmt_amt",
        "lmt_med_types",
        "lmt_min_level",
        "lmt_dise_prefix",
        "enddate",
    ],
};

/// Every `catalog/*.csv` of the pack, keyed by province.
pub(crate) fn load_all(
    files: &PackFiles,
    divisions: &Divisions,
    p: &mut Problems,
) -> HashMap<DivisionCode, Catalog> {
    let mut catalogs = HashMap::new();
    for (file, text) in files.iter().filter(|(path, _)| classify(path) == FileKind::Catalog) {
        let province = province_of(file, divisions, p);
        // Rows are checked even when the file name is wrong, so one run shows everything.
        let catalog = load(file, text, p);
        if let Some(province) = province {
            catalogs.insert(province, catalog);
        }
    }
    catalogs
}

fn province_of(file: &str, divisions: &Divisions, p: &mut Problems) -> Option<DivisionCode> {
    let name = stem(file);
    let code = DivisionCode::parse(name).ok().filter(|code| {
        code.is_province() && divisions.get(code).is_some_and(|d| d.level == DivisionLevel::Province)
    });
    if code.is_none() {
        let msg = format!(
            "文件名 {name} 不是已知的省级区划代码：目录文件应以就医省份的 6 位代码命名（例如 catalog/310000.csv）"
        );
        p.push(file, 0, msg);
    }
    code
}

fn load(file: &str, text: &str, p: &mut Problems) -> Catalog {
    let mut catalog = Catalog::default();
    let Some(table) = read_table(file, text, &SCHEMA, p) else {
        return catalog;
    };
    let mut versions: BTreeMap<String, Vec<Version>> = BTreeMap::new();
    for row in table.rows() {
        let Some(item) = item_row(&row, p) else {
            continue;
        };
        let version = Version { begin: item.begndate, end: item.enddate, line: row.line };
        versions.entry(item.code.clone()).or_default().push(version);
        catalog.items.entry(item.code.clone()).or_insert_with(Vec::new).push(item);
    }
    check_overlaps(file, "目录编码", &mut versions, p);
    catalog
}

fn item_row(row: &Row, p: &mut Problems) -> Option<CatalogItem> {
    let code = row.text(p, "med_list_codg");
    let name = row.text(p, "name");
    let list_type = row.req(p, "list_type", |s| ListType::parse(s).map_err(|e| e.to_string()));
    let lv = row.req(p, "chrgitm_lv", |s| ChrgitmLv::parse(s).map_err(|e| e.to_string()));
    let selfpay_prop = row.opt(p, "selfpay_prop_bp", values::bp);
    let price_cap = row.opt(p, "pric_uplmt_amt", values::fen);
    let lmt_med_types = row.opt(p, "lmt_med_types", med_types);
    let lmt_min_level = row.opt(p, "lmt_min_level", |s| values::level_in(s, 1, 3));
    let lmt_dise_prefix = row.cell("lmt_dise_prefix").map(str::to_string);
    let begndate = row.req(p, "begndate", values::date);
    let enddate = row.opt(p, "enddate", values::date);
    if let Some(lv) = lv.filter(|lv| *lv != ChrgitmLv::B)
        && let Some(text) = row.cell("selfpay_prop_bp")
    {
        let msg = format!(
            "列 selfpay_prop_bp：先行自付比例只用于 02 乙类，{} {} 不应填写（实际为 {text}），请留空",
            lv.as_str(),
            lv.name_zh()
        );
        row.problem(p, msg);
    }
    if let Some(begndate) = begndate {
        row.check_period(p, begndate, enddate);
    }
    if row.failed() {
        return None;
    }
    Some(CatalogItem {
        code: code?,
        name: name?,
        list_type: list_type?,
        lv: lv?,
        // 乙类 without a ratio has no pre-self-pay part.
        selfpay_prop: selfpay_prop.unwrap_or(Bp::ZERO),
        price_cap,
        lmt_med_types: lmt_med_types.unwrap_or_default(),
        lmt_min_level,
        lmt_dise_prefix,
        begndate: begndate?,
        enddate,
        source: row.source(),
    })
}

fn med_types(text: &str) -> Result<Vec<MedType>, String> {
    values::list(text)?.into_iter().map(|s| MedType::parse(s).map_err(|e| e.to_string())).collect()
}
