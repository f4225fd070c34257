//! Drug items: real product names (cn_drug_names.csv) paired with real ATC codes, either from a
//! curated list of common Chinese generic names (checked against atc.csv) or from the WHO
//! essential-medicines list's own name-matched `atc_codes_by_name`.
//!
//! Codes imitate the national drug code: `X` + the ATC level-4 group + a dosage-form letter + a
//! 3-digit serial (`XA10BAA001` = first metformin tablet). They are demo codes, not NHSA codes.

use std::collections::{BTreeMap, BTreeSet};

use crate::reference::Reference;

/// Common generic names and their ATC code, checked against atc.csv at run time.
const CURATED: &[(&str, &str)] = &[
    ("二甲双胍", "A10BA02"),
    ("格列美脲", "A10BB12"),
    ("格列齐特", "A10BB09"),
    ("格列吡嗪", "A10BB07"),
    ("阿卡波糖", "A10BF01"),
    ("伏格列波糖", "A10BF03"),
    ("吡格列酮", "A10BG03"),
    ("瑞格列奈", "A10BX02"),
    ("西格列汀", "A10BH01"),
    ("维格列汀", "A10BH02"),
    ("精蛋白生物合成人胰岛素", "A10AC01"),
    ("甘精胰岛素", "A10AE04"),
    ("门冬胰岛素", "A10AB05"),
    ("赖脯胰岛素", "A10AB04"),
    ("氨氯地平", "C08CA01"),
    ("硝苯地平", "C08CA05"),
    ("非洛地平", "C08CA02"),
    ("尼群地平", "C08CA08"),
    ("缬沙坦", "C09CA03"),
    ("厄贝沙坦", "C09CA04"),
    ("氯沙坦", "C09CA01"),
    ("替米沙坦", "C09CA07"),
    ("坎地沙坦", "C09CA06"),
    ("贝那普利", "C09AA07"),
    ("依那普利", "C09AA02"),
    ("培哚普利", "C09AA04"),
    ("卡托普利", "C09AA01"),
    ("美托洛尔", "C07AB02"),
    ("比索洛尔", "C07AB07"),
    ("阿替洛尔", "C07AB03"),
    ("卡维地洛", "C07AG02"),
    ("氢氯噻嗪", "C03AA03"),
    ("吲达帕胺", "C03BA11"),
    ("呋塞米", "C03CA01"),
    ("螺内酯", "C03DA01"),
    ("托拉塞米", "C03CA04"),
    ("阿托伐他汀", "C10AA05"),
    ("瑞舒伐他汀", "C10AA07"),
    ("辛伐他汀", "C10AA01"),
    ("普伐他汀", "C10AA03"),
    ("非诺贝特", "C10AB05"),
    ("依折麦布", "C10AX09"),
    ("阿司匹林", "B01AC06"),
    ("氯吡格雷", "B01AC04"),
    ("华法林", "B01AA03"),
    ("依诺肝素", "B01AB05"),
    ("低分子肝素钠", "B01AB"),
    ("肝素钠", "B01AB01"),
    ("单硝酸异山梨酯", "C01DA14"),
    ("硝酸异山梨酯", "C01DA08"),
    ("硝酸甘油", "C01DA02"),
    ("地高辛", "C01AA05"),
    ("胺碘酮", "C01BD01"),
    ("曲美他嗪", "C01EB15"),
    ("尼可地尔", "C01DX16"),
    ("奥美拉唑", "A02BC01"),
    ("泮托拉唑", "A02BC02"),
    ("兰索拉唑", "A02BC03"),
    ("雷贝拉唑", "A02BC04"),
    ("埃索美拉唑", "A02BC05"),
    ("法莫替丁", "A02BA03"),
    ("铝碳酸镁", "A02AD04"),
    ("莫沙必利", "A03FA"),
    ("多潘立酮", "A03FA03"),
    ("蒙脱石", "A07BC05"),
    ("乳果糖", "A06AD11"),
    ("聚乙二醇4000", "A06AD15"),
    ("熊去氧胆酸", "A05AA02"),
    ("水飞蓟宾", "A05BA03"),
    ("多烯磷脂酰胆碱", "A05BA"),
    ("还原型谷胱甘肽", "V03AB32"),
    ("替诺福韦二吡呋酯", "J05AF07"),
    ("拉米夫定", "J05AF05"),
    ("阿德福韦酯", "J05AF08"),
    ("聚乙二醇干扰素α-2a", "L03AB11"),
    ("阿莫西林", "J01CA04"),
    ("阿莫西林克拉维酸钾", "J01CR02"),
    ("头孢呋辛酯", "J01DC02"),
    ("头孢克洛", "J01DC04"),
    ("头孢克肟", "J01DD08"),
    ("头孢曲松钠", "J01DD04"),
    ("头孢他啶", "J01DD02"),
    ("头孢唑林钠", "J01DB04"),
    ("美罗培南", "J01DH02"),
    ("亚胺培南西司他丁钠", "J01DH51"),
    ("左氧氟沙星", "J01MA12"),
    ("莫西沙星", "J01MA14"),
    ("环丙沙星", "J01MA02"),
    ("阿奇霉素", "J01FA10"),
    ("克拉霉素", "J01FA09"),
    ("罗红霉素", "J01FA06"),
    ("万古霉素", "J01XA01"),
    ("利奈唑胺", "J01XX08"),
    ("奥司他韦", "J05AH02"),
    ("阿昔洛韦", "J05AB01"),
    ("更昔洛韦", "J05AB06"),
    ("氟康唑", "J02AC01"),
    ("伏立康唑", "J02AC03"),
    ("他克莫司", "L04AD02"),
    ("环孢素", "L04AD01"),
    ("吗替麦考酚酯", "L04AA06"),
    ("西罗莫司", "L04AA10"),
    ("来氟米特", "L04AA13"),
    ("依那西普", "L04AB01"),
    ("英夫利西单抗", "L04AB02"),
    ("阿达木单抗", "L04AB04"),
    ("柳氮磺吡啶", "A07EC01"),
    ("羟氯喹", "P01BA02"),
    ("甲泼尼龙", "H02AB04"),
    ("泼尼松", "H02AB07"),
    ("塞来昔布", "M01AH01"),
    ("依托考昔", "M01AH05"),
    ("美洛昔康", "M01AC06"),
    ("双氯芬酸钠", "M01AB05"),
    ("洛索洛芬钠", "M01AE"),
    ("艾瑞昔布", "M01AH"),
    ("顺铂", "L01XA01"),
    ("卡铂", "L01XA02"),
    ("奥沙利铂", "L01XA03"),
    ("紫杉醇", "L01CD01"),
    ("多西他赛", "L01CD02"),
    ("吉西他滨", "L01BC05"),
    ("氟尿嘧啶", "L01BC02"),
    ("卡培他滨", "L01BC06"),
    ("环磷酰胺", "L01AA01"),
    ("表柔比星", "L01DB03"),
    ("伊马替尼", "L01XE01"),
    ("吉非替尼", "L01XE02"),
    ("厄洛替尼", "L01XE03"),
    ("利妥昔单抗", "L01XC02"),
    ("曲妥珠单抗", "L01XC03"),
    ("贝伐珠单抗", "L01XC07"),
    ("来曲唑", "L02BG04"),
    ("阿那曲唑", "L02BG03"),
    ("他莫昔芬", "L02BA01"),
    ("昂丹司琼", "A04AA01"),
    ("托烷司琼", "A04AA03"),
    ("格拉司琼", "A04AA02"),
    ("重组人促红素", "B03XA01"),
    ("蔗糖铁", "B03AC02"),
    ("骨化三醇", "A11CC04"),
    ("碳酸钙", "A12AA04"),
    ("碳酸镧", "V03AE03"),
    ("左卡尼汀", "A16AA01"),
    ("噻托溴铵", "R03BB04"),
    ("沙美特罗替卡松", "R03AK06"),
    ("布地奈德", "R03BA02"),
    ("沙丁胺醇", "R03AC02"),
    ("异丙托溴铵", "R03BB01"),
    ("孟鲁司特钠", "R03DC03"),
    ("氨茶碱", "R03DA05"),
    ("多索茶碱", "R03DA11"),
    ("氨溴索", "R05CB06"),
    ("乙酰半胱氨酸", "R05CB01"),
    ("羧甲司坦", "R05CB03"),
    ("左甲状腺素钠", "H03AA01"),
    ("甲巯咪唑", "H03BB02"),
    ("坦索罗辛", "G04CA02"),
    ("非那雄胺", "G04CB01"),
    ("舍曲林", "N06AB06"),
    ("帕罗西汀", "N06AB05"),
    ("奥氮平", "N05AH03"),
    ("喹硫平", "N05AH04"),
    ("利培酮", "N05AX08"),
    ("阿普唑仑", "N05BA12"),
    ("艾司唑仑", "N05CD04"),
    ("佐匹克隆", "N05CF01"),
    ("多奈哌齐", "N06DA02"),
    ("加巴喷丁", "N03AX12"),
    ("普瑞巴林", "N03AX16"),
    ("左乙拉西坦", "N03AX14"),
    ("丙戊酸钠", "N03AG01"),
    ("甘露醇", "B05BC01"),
    ("人血白蛋白", "B05AA01"),
    ("丙泊酚", "N01AX10"),
    ("瑞芬太尼", "N01AH06"),
    ("舒芬太尼", "N01AH03"),
    ("芬太尼", "N01AH01"),
    ("罗库溴铵", "M03AC09"),
    ("罗哌卡因", "N01BB09"),
    ("氨甲环酸", "B02AA02"),
    ("酚磺乙胺", "B02BX01"),
    ("阿仑膦酸钠", "M05BA04"),
    ("唑来膦酸", "M05BA08"),
    ("银杏叶提取物", "N06DX02"),
    ("胞磷胆碱钠", "N06BX06"),
    ("长春西汀", "N06BX18"),
    ("丁苯酞", "N07XX"),
    ("依达拉奉", "N07XX"),
    ("奥卡西平", "N03AF02"),
];

/// Salt prefixes and suffixes allowed around a generic name in a product name.
const SALT_PREFIXES: &[&str] = &[
    "",
    "盐酸",
    "硫酸氢",
    "硫酸",
    "马来酸",
    "苯磺酸",
    "甲磺酸",
    "富马酸",
    "酒石酸",
    "枸橼酸",
    "琥珀酸",
    "磷酸",
    "醋酸",
    "氢溴酸",
];
const SALT_SUFFIXES: &[&str] = &["", "钠", "钾", "钙", "镁", "酯"];

/// Dosage forms with the code letter they map to, most common first.
const FORMS: &[(&str, char)] = &[
    ("片", 'A'),
    ("胶囊", 'B'),
    ("注射液", 'C'),
    ("分散片", 'A'),
    ("缓释片", 'A'),
    ("肠溶片", 'A'),
    ("控释片", 'A'),
    ("肠溶胶囊", 'B'),
    ("缓释胶囊", 'B'),
    ("软胶囊", 'B'),
    ("颗粒", 'D'),
    ("干混悬剂", 'D'),
    ("散", 'D'),
    ("口服溶液", 'E'),
    ("口服液", 'E'),
    ("混悬液", 'E'),
    ("糖浆", 'E'),
    ("咀嚼片", 'A'),
    ("泡腾片", 'A'),
    ("口崩片", 'A'),
    ("口腔崩解片", 'A'),
    ("乳膏", 'F'),
    ("软膏", 'F'),
    ("凝胶", 'F'),
    ("贴剂", 'F'),
    ("栓", 'F'),
    ("滴眼液", 'G'),
    ("气雾剂", 'H'),
    ("吸入气雾剂", 'H'),
    ("吸入粉雾剂", 'H'),
    ("粉雾剂", 'H'),
    ("喷雾剂", 'H'),
    ("吸入溶液", 'H'),
];

/// How many products to take per curated generic and per essential medicine.
const PRODUCTS_PER_GENERIC: usize = 2;
const PRODUCTS_PER_ESSENTIAL: usize = 1;

/// EML sections that are not paid by medical insurance as drugs (vaccines, diagnostics, disinfectants).
const SKIPPED_SECTIONS: &[&str] = &["IMMUNOLOGICALS", "DIAGNOSTIC AGENTS", "DISINFECTANTS AND ANTISEPTICS"];

/// A drug before codes are assigned.
#[derive(Clone, Debug)]
pub struct Drug {
    pub name: String,
    pub atc: String,
    pub form_letter: char,
    /// True when the generic came from the WHO essential-medicines list.
    pub essential: bool,
}

/// The dosage-form letter and form rank (lower = more common) of a product name whose generic
/// part is `generic`, if the name is that generic (with an optional salt) plus a known form.
fn product_form(product: &str, generic: &str, suffixes: &[&str]) -> Option<(char, usize)> {
    let (rest, injection) = match product.strip_prefix("注射用") {
        Some(r) => (r, true),
        None => (product, false),
    };
    for prefix in SALT_PREFIXES {
        let Some(after) = rest.strip_prefix(prefix).and_then(|r| r.strip_prefix(generic)) else { continue };
        for suffix in suffixes {
            let Some(form) = after.strip_prefix(suffix) else { continue };
            if injection && form.is_empty() {
                return Some(('C', 2));
            }
            if let Some(rank) = FORMS.iter().position(|(f, _)| !injection && *f == form) {
                return Some((FORMS[rank].1, rank));
            }
        }
    }
    None
}

/// Up to `limit` products of a generic, most common forms first, then in name order.
fn products(names: &[String], generic: &str, suffixes: &[&str], limit: usize) -> Vec<(String, char)> {
    let mut found: Vec<(usize, String, char)> = names
        .iter()
        .filter(|n| n.contains(generic))
        .filter_map(|n| product_form(n, generic, suffixes).map(|(letter, rank)| (rank, n.clone(), letter)))
        .collect();
    found.sort();
    found.into_iter().take(limit).map(|(_, n, l)| (n, l)).collect()
}

/// The preferred ATC anatomical groups for an EML section (first letters, in order).
fn section_letters(section: &str) -> &'static str {
    const MAP: &[(&str, &str)] = &[
        ("ANAESTHETICS", "N"),
        ("ANALGESICS", "NM"),
        ("ANTIALLERGICS", "HR"),
        ("ANTIDOTES", "V"),
        ("ANTICONVULSANTS", "N"),
        ("ANTI-INFECTIVE", "JP"),
        ("ANTIMIGRAINE", "N"),
        ("ANTINEOPLASTIC", "LH"),
        ("ANTIPARKINSONISM", "N"),
        ("MEDICINES AFFECTING THE BLOOD", "B"),
        ("BLOOD PRODUCTS", "B"),
        ("CARDIOVASCULAR", "C"),
        ("DERMATOLOGICAL", "D"),
        ("DIURETICS", "C"),
        ("GASTROINTESTINAL", "A"),
        ("HORMONES", "HGA"),
        ("MUSCLE RELAXANTS", "MN"),
        ("OPHTHALMOLOGICAL", "S"),
        ("OXYTOCICS", "G"),
        ("PERITONEAL", "B"),
        ("MEDICINES FOR MENTAL", "N"),
        ("MEDICINES ACTING ON THE RESPIRATORY", "R"),
        ("SOLUTIONS", "B"),
        ("VITAMINS", "A"),
        ("EAR, NOSE", "SR"),
    ];
    MAP.iter().find(|(prefix, _)| section.starts_with(prefix)).map_or("", |(_, letters)| letters)
}

fn form_fits_section(letter: char, section: &str) -> bool {
    if section.starts_with("DERMATOLOGICAL") {
        letter == 'F'
    } else if section.starts_with("OPHTHALMOLOGICAL") {
        letter == 'G'
    } else {
        true
    }
}

/// ATC groups of topical, eye, nose and mouth preparations: not the code of a tablet or capsule.
const TOPICAL_GROUPS: &[&str] = &[
    "A01", "C05", "D01A", "D02", "D03", "D04", "D05", "D06", "D07", "D08", "D09", "D10", "D11", "R01", "R02",
    "S",
];

/// The ATC code for an essential medicine's product: the section's anatomical group first, and
/// for oral forms a systemic code rather than a topical one when the name matches both.
fn choose_atc(codes: &[String], section: &str, letter: char) -> Option<String> {
    let oral = matches!(letter, 'A' | 'B' | 'D' | 'E');
    let fits = |c: &&String| !oral || !TOPICAL_GROUPS.iter().any(|g| c.starts_with(g));
    let preferred =
        section_letters(section).chars().find_map(|l| codes.iter().filter(fits).find(|c| c.starts_with(l)));
    preferred.or_else(|| codes.iter().find(fits)).or_else(|| codes.first()).cloned()
}

/// All drugs, deduplicated by product name: curated generics first, then essential medicines.
pub fn select(reference: &Reference) -> Vec<Drug> {
    let mut drugs: BTreeMap<String, Drug> = BTreeMap::new();
    for (generic, atc) in CURATED {
        assert!(reference.atc.contains_key(*atc), "curated ATC {atc} ({generic}) is not in atc.csv");
        for (name, letter) in products(&reference.cn_drug_names, generic, SALT_SUFFIXES, PRODUCTS_PER_GENERIC)
        {
            drugs.entry(name.clone()).or_insert(Drug {
                name,
                atc: atc.to_string(),
                form_letter: letter,
                essential: false,
            });
        }
    }
    let mut seen = BTreeSet::new();
    for row in &reference.eml {
        if SKIPPED_SECTIONS.iter().any(|s| row.section_en.starts_with(s)) || !seen.insert(row.name_zh.clone())
        {
            continue;
        }
        // Essential medicines take no salt suffix ("水杨酸镁" is not salicylic acid), and topical
        // or eye sections only their own forms.
        for (name, letter) in products(&reference.cn_drug_names, &row.name_zh, &[""], PRODUCTS_PER_ESSENTIAL)
        {
            let Some(atc) = choose_atc(&row.atc_codes, &row.section_en, letter) else { continue };
            if !form_fits_section(letter, &row.section_en) {
                continue;
            }
            drugs.entry(name.clone()).or_insert(Drug {
                name,
                atc: atc.clone(),
                form_letter: letter,
                essential: true,
            });
        }
    }
    drugs.into_values().collect()
}

/// Assigns `X` + ATC level 4 + form letter + serial codes, in (ATC, name) order.
pub fn assign_codes(mut drugs: Vec<Drug>) -> Vec<(String, Drug)> {
    drugs.sort_by(|a, b| (&a.atc, &a.name).cmp(&(&b.atc, &b.name)));
    let mut serials: BTreeMap<String, u32> = BTreeMap::new();
    drugs
        .into_iter()
        .map(|d| {
            let stem = format!("X{}{}", &d.atc[..5], d.form_letter);
            let serial = serials.entry(stem.clone()).or_insert(0);
            *serial += 1;
            assert!(*serial < 1000, "too many drugs under {stem}");
            (format!("{stem}{serial:03}"), d)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Goal: salts, injection prefixes and forms are recognised, and other products are not.
    #[test]
    fn product_names_are_matched_to_their_generic() {
        assert_eq!(product_form("盐酸二甲双胍缓释片", "二甲双胍", SALT_SUFFIXES), Some(('A', 4)));
        assert_eq!(product_form("注射用头孢曲松钠", "头孢曲松钠", SALT_SUFFIXES), Some(('C', 2)));
        assert_eq!(product_form("阿托伐他汀钙片", "阿托伐他汀", SALT_SUFFIXES), Some(('A', 0)));
        assert_eq!(product_form("吗啡阿托品注射液", "阿托品", SALT_SUFFIXES), None);
        assert_eq!(product_form("二甲双胍格列本脲片", "二甲双胍", SALT_SUFFIXES), None);
        assert_eq!(product_form("水杨酸镁胶囊", "水杨酸", &[""]), None);
    }
}
