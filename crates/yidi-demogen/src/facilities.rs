//! Designated facilities (`facilities.csv`): hospitals, community clinics and pharmacies in every
//! region. Names are invented in the usual naming style; they are not real agreements.

use std::collections::BTreeSet;

use crate::reference::Reference;
use crate::regions::Region;
use crate::rng::Rng;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FacKind {
    Hospital,
    Clinic,
    Pharmacy,
}

#[derive(Clone, Debug)]
pub struct Facility {
    pub code: String,
    pub name: &'static str,
    pub county: &'static str,
    pub level: u8,
    pub kind: FacKind,
    pub open_inpatient: bool,
    pub open_outpatient: bool,
    pub open_chronic: bool,
    pub chronic_diseases: &'static str,
    pub begndate: &'static str,
    pub enddate: Option<&'static str>,
}

use FacKind::{Clinic as C, Hospital as H, Pharmacy as P};

/// (county, level, kind, name). Level 0 = pharmacy.
const FACILITIES: &[(&str, u8, FacKind, &str)] = &[
    ("110102", 3, H, "北京市第一中心医院"),
    ("110105", 3, H, "北京市朝阳区中心医院"),
    ("110108", 3, H, "北京市肿瘤防治研究医院"),
    ("110101", 3, H, "北京市东城区中医医院"),
    ("110106", 2, H, "北京市丰台区第二医院"),
    ("110112", 2, H, "北京市通州区人民医院"),
    ("110114", 1, C, "北京市昌平区回龙观社区卫生服务中心"),
    ("110105", 1, C, "北京市朝阳区望京社区卫生服务中心"),
    ("110102", 0, P, "北京康济大药房西城店"),
    ("110108", 0, P, "北京仁和大药房海淀店"),
    ("131003", 3, H, "廊坊市人民医院"),
    ("131002", 3, H, "廊坊市中医医院"),
    ("131082", 2, H, "三河市人民医院"),
    ("131022", 2, H, "固安县医院"),
    ("131028", 2, H, "大厂回族自治县医院"),
    ("131024", 1, C, "香河县淑阳镇社区卫生服务中心"),
    ("131003", 0, P, "廊坊康宁大药房广阳店"),
    ("131082", 0, P, "燕郊仁和大药房"),
    ("140213", 3, H, "大同市第一人民医院"),
    ("140213", 3, H, "大同市第三人民医院"),
    ("140214", 2, H, "大同市云冈区人民医院"),
    ("140215", 2, H, "大同市云州区人民医院"),
    ("140221", 1, C, "阳高县龙泉镇卫生院"),
    ("140213", 0, P, "大同益民大药房平城店"),
    ("140226", 1, H, "左云县中医医院"),
    ("150105", 3, H, "呼和浩特市第一医院"),
    ("150103", 3, H, "呼和浩特市蒙医中医医院"),
    ("150104", 2, H, "呼和浩特市第二医院"),
    ("150121", 2, H, "土默特左旗医院"),
    ("150105", 1, C, "呼和浩特市赛罕区大学路社区卫生服务中心"),
    ("150102", 0, P, "呼和浩特康宁大药房新城店"),
    ("150123", 1, H, "和林格尔县城关镇卫生院"),
    ("150104", 0, P, "呼和浩特惠康大药房玉泉店"),
    ("220102", 3, H, "长春市中心医院"),
    ("220104", 3, H, "长春市第一医院"),
    ("220106", 3, H, "长春市中医院"),
    ("220105", 2, H, "长春市二道区医院"),
    ("220183", 2, H, "德惠市人民医院"),
    ("220103", 1, C, "长春市宽城区团山社区卫生服务中心"),
    ("220102", 0, P, "长春益民大药房南关店"),
    ("220184", 0, P, "公主岭惠康大药房"),
    ("310104", 3, H, "上海市第一中心医院"),
    ("310115", 3, H, "上海市浦东新区人民医院"),
    ("310110", 3, H, "上海市中医医院"),
    ("310109", 3, H, "上海市虹口区中心医院"),
    ("310106", 2, H, "上海市静安区中心医院"),
    ("310112", 2, H, "上海市闵行区人民医院"),
    ("310113", 2, H, "上海市宝山区第二人民医院"),
    ("310104", 1, C, "上海市徐汇区枫林街道社区卫生服务中心"),
    ("310115", 1, C, "上海市浦东新区花木社区卫生服务中心"),
    ("310104", 0, P, "上海华康大药房徐汇店"),
    ("310107", 0, P, "上海益民大药房普陀店"),
    ("320106", 3, H, "南京市第一人民医院"),
    ("320104", 3, H, "南京市中医院"),
    ("320105", 3, H, "南京市中心医院"),
    ("320115", 2, H, "南京市江宁区人民医院"),
    ("320111", 2, H, "南京市浦口区中心医院"),
    ("320113", 1, C, "南京市栖霞区尧化社区卫生服务中心"),
    ("320106", 0, P, "南京康宁大药房鼓楼店"),
    ("320115", 0, P, "南京益民大药房江宁店"),
    ("320508", 3, H, "苏州市第一人民医院"),
    ("320508", 3, H, "苏州市中医医院"),
    ("320506", 2, H, "苏州市吴中区人民医院"),
    ("320583", 2, H, "昆山市第一人民医院"),
    ("320581", 2, H, "常熟市第二人民医院"),
    ("320505", 1, C, "苏州市虎丘区狮山社区卫生服务中心"),
    ("320508", 0, P, "苏州华康大药房姑苏店"),
    ("320583", 0, P, "昆山惠民大药房"),
    ("340304", 3, H, "蚌埠市第一人民医院"),
    ("340303", 3, H, "蚌埠市第三人民医院"),
    ("340302", 2, H, "蚌埠市中医医院"),
    ("340321", 2, H, "怀远县人民医院"),
    ("340311", 1, H, "蚌埠市淮上区小蚌埠镇卫生院"),
    ("340303", 0, P, "蚌埠百姓大药房蚌山店"),
    ("340322", 1, C, "五河县城关镇社区卫生服务中心"),
    ("360102", 3, H, "南昌市第一医院"),
    ("360103", 3, H, "南昌市第三医院"),
    ("360111", 3, H, "南昌市洪都中医院"),
    ("360121", 2, H, "南昌县人民医院"),
    ("360112", 2, H, "南昌市新建区人民医院"),
    ("360113", 1, C, "南昌市红谷滩区沙井街道社区卫生服务中心"),
    ("360102", 0, P, "南昌惠民大药房东湖店"),
    ("360124", 0, P, "进贤康宁大药房"),
    ("440402", 3, H, "珠海市人民医院"),
    ("440402", 3, H, "珠海市中西医结合医院"),
    ("440403", 2, H, "珠海市斗门区侨立中医院"),
    ("440404", 2, H, "珠海市金湾区中心医院"),
    ("440402", 2, H, "珠海市香洲区第二人民医院"),
    ("440402", 1, C, "珠海市香洲区拱北社区卫生服务中心"),
    ("440402", 0, P, "珠海华康大药房香洲店"),
    ("440403", 0, P, "斗门益民大药房"),
    ("510104", 3, H, "成都市第一人民医院"),
    ("510107", 3, H, "成都市第三人民医院"),
    ("510105", 3, H, "成都市中西医结合医院"),
    ("510106", 2, H, "成都市金牛区人民医院"),
    ("510116", 2, H, "成都市双流区第一人民医院"),
    ("510112", 2, H, "成都市龙泉驿区第一人民医院"),
    ("510108", 1, C, "成都市成华区猛追湾街道社区卫生服务中心"),
    ("510107", 0, P, "成都百姓大药房武侯店"),
    ("510115", 0, P, "温江康宁大药房"),
    ("611002", 3, H, "商洛市中心医院"),
    ("611002", 2, H, "商洛市中医医院"),
    ("611021", 2, H, "洛南县医院"),
    ("611022", 2, H, "丹凤县医院"),
    ("611024", 1, C, "山阳县城关街道社区卫生服务中心"),
    ("611002", 0, P, "商洛百姓大药房商州店"),
    ("611026", 1, H, "柞水县中医医院"),
];

/// Diseases opened by secondary hospitals and clinics (the common ones); tertiary hospitals
/// leave the list empty, which opens every disease.
const SECONDARY_DISEASES: &str = "M00001|M00002|M00006|M00008";
const CLINIC_DISEASES: &str = "M00001|M00002";

/// Exceptions that give the demo something to refuse or date: a hospital not networked for
/// outpatient care, an agreement that ended, a new agreement, a pharmacy opened for chronic drugs.
fn exceptions(f: &mut Facility) {
    match f.name {
        "三河市人民医院" => f.open_outpatient = false,
        "南京市浦口区中心医院" => f.enddate = Some("2025-06-30"),
        "大同市云州区人民医院" => f.begndate = "2025-03-01",
        "上海华康大药房徐汇店" | "北京仁和大药房海淀店" => {
            (f.open_chronic, f.chronic_diseases) = (true, CLINIC_DISEASES)
        }
        "左云县中医医院" => f.open_inpatient = false,
        _ => {}
    }
}

pub fn build(reference: &Reference, regions: &[Region]) -> Vec<Facility> {
    let mut rng = Rng::stream("facilities");
    let mut codes = BTreeSet::new();
    let mut out = Vec::new();
    for (county, level, kind, name) in FACILITIES {
        let division = reference.division(county);
        assert_eq!(division.level, "county", "{county} is not county-level");
        assert!(regions.iter().any(|r| r.covers(county)), "{county} is in no pooling region");
        let letter = if *kind == P { 'P' } else { 'H' };
        let code = loop {
            let candidate = format!("{letter}{county}{:05}", rng.range(1, 99_999));
            if codes.insert(candidate.clone()) {
                break candidate;
            }
        };
        let begndate = *rng.pick(&["2020-01-01", "2020-01-01", "2021-06-01", "2022-03-01", "2023-01-01"]);
        let mut f = Facility {
            code,
            name,
            county,
            level: *level,
            kind: *kind,
            open_inpatient: *kind == H,
            open_outpatient: true,
            open_chronic: *kind != P && !(*kind == H && *level == 1),
            chronic_diseases: match (kind, level) {
                (H, 3) | (P, _) => "",
                (H, _) => SECONDARY_DISEASES,
                (C, _) => CLINIC_DISEASES,
            },
            begndate,
            enddate: None,
        };
        exceptions(&mut f);
        out.push(f);
    }
    out.sort_by(|a, b| a.code.cmp(&b.code));
    out
}

pub const HEADER: [&str; 11] = [
    "fixmedins_code",
    "fixmedins_name",
    "admdvs",
    "level",
    "kind",
    "open_inpatient",
    "open_outpatient",
    "open_chronic",
    "chronic_diseases",
    "begndate",
    "enddate",
];

pub fn cells(f: &Facility) -> Vec<String> {
    use crate::out::{flag, opt};
    let kind = match f.kind {
        H => "hospital",
        C => "clinic",
        P => "pharmacy",
    };
    vec![
        f.code.clone(),
        f.name.to_string(),
        f.county.to_string(),
        f.level.to_string(),
        kind.to_string(),
        flag(f.open_inpatient),
        flag(f.open_outpatient),
        flag(f.open_chronic),
        f.chronic_diseases.to_string(),
        f.begndate.to_string(),
        opt(f.enddate),
    ]
}

/// The facility with this name (the claims name facilities, not codes).
pub fn by_name<'a>(facilities: &'a [Facility], name: &str) -> &'a Facility {
    facilities.iter().find(|f| f.name == name).unwrap_or_else(|| panic!("no facility {name}"))
}
