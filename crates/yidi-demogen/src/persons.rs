//! Insured persons (`persons.csv`): synthetic names and identity numbers that pass the national
//! checks — a county of the insured region, the birth date, the sex digit and the MOD 11-2 check
//! character — with a realistic mix of schemes, groups and assistance classes.

use std::collections::{BTreeMap, BTreeSet};

use yidi_domain::{CertNo, Date};

use crate::policy::{Group, Insu};
use crate::reference::Reference;
use crate::regions::Region;
use crate::rng::Rng;
use crate::story::{CAST, Cast};

#[derive(Clone, Debug)]
pub struct Person {
    pub psn_no: String,
    pub certno: String,
    pub name: String,
    pub male: bool,
    pub birth: Date,
    pub region: &'static str,
    pub insutype: Insu,
    pub group: Group,
    pub assist: Option<&'static str>,
    pub acct_fen: Option<i64>,
}

/// Common surnames, most frequent first (the first 20 get double weight).
const SURNAMES: &str = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤";
const MALE_CHARS: &str =
    "伟强磊军洋勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆旭宁龙林峰建国志海东文晨博振兴德成永庆家";
const FEMALE_CHARS: &str =
    "芳娜敏静秀丽艳娟霞燕玲桂英萍红梅琳颖雪慧婷倩洁欣悦晶佳怡雯琴云兰月凤蓉丹琪萱涵诗淑";

/// The policy date the age rules are checked against (retired ≥ 60, minors < 18 all year).
pub const DEMO_YEAR: i32 = 2025;

pub fn build(reference: &Reference, regions: &[Region]) -> Vec<Person> {
    let mut rng = Rng::stream("persons");
    let mut certnos = BTreeSet::new();
    let mut out = Vec::new();
    for region in regions {
        let counties: Vec<String> =
            reference.counties_in(region.admdvs).iter().map(|d| d.code.clone()).collect();
        assert!(!counties.is_empty(), "no counties under {}", region.admdvs);
        let story: Vec<&Cast> = CAST.iter().filter(|c| c.region == region.admdvs).collect();
        for serial in 1..=region.persons {
            let psn_no = format!("P{}{serial:06}", &region.admdvs[..4]);
            let mut p = match story.get(serial - 1) {
                Some(c) => from_cast(c, psn_no, region.admdvs),
                None => random_person(&mut rng, region, psn_no),
            };
            p.name = name(&mut rng, p.male);
            p.certno = certno(&mut rng, &counties, p.birth, p.male, &mut certnos);
            out.push(p);
        }
    }
    out
}

fn from_cast(c: &Cast, psn_no: String, region: &'static str) -> Person {
    let (y, m, d) = c.birth;
    Person {
        psn_no,
        certno: String::new(),
        name: String::new(),
        male: c.male,
        birth: Date::new(y, m, d).expect("story birth date"),
        region,
        insutype: c.insutype,
        group: c.group,
        assist: c.assist,
        acct_fen: c.acct_fen,
    }
}

fn random_person(rng: &mut Rng, region: &Region, psn_no: String) -> Person {
    let employee = rng.chance(region.employee_pct * 10);
    let group = match (employee, rng.below(100)) {
        (true, 0..30) => Group::Retired,
        (true, _) => Group::InService,
        (false, 0..20) => Group::Minor,
        (false, _) => Group::Adult,
    };
    let (from, to) = match group {
        Group::InService => ((1966, 1, 1), (2003, 12, 31)),
        Group::Retired => ((1935, 1, 1), (1964, 12, 31)),
        Group::Adult => ((1940, 1, 1), (2006, 12, 31)),
        Group::Minor | Group::Any => ((2008, 1, 1), (2024, 12, 31)),
    };
    let birth = random_date(rng, from, to);
    let assisted = rng.chance(if employee { 10 } else { 90 });
    let assist = assisted.then(|| ["tekun", "dibao", "dibao", "dishouru", "dishouru"][rng.below(5) as usize]);
    let acct_fen = match group {
        Group::InService => Some(rng.range(0, 1_500_000)),
        Group::Retired => Some(rng.range(50_000, 3_000_000)),
        _ => None,
    };
    let insutype = if employee { Insu::Employee } else { Insu::Resident };
    Person {
        psn_no,
        certno: String::new(),
        name: String::new(),
        male: rng.chance(500),
        birth,
        region: region.admdvs,
        insutype,
        group,
        assist,
        acct_fen,
    }
}

pub fn random_date(rng: &mut Rng, from: (i32, u8, u8), to: (i32, u8, u8)) -> Date {
    let a = Date::new(from.0, from.1, from.2).expect("date").to_days();
    let b = Date::new(to.0, to.1, to.2).expect("date").to_days();
    Date::from_days(rng.range(a, b))
}

fn name(rng: &mut Rng, male: bool) -> String {
    let surnames: Vec<char> = SURNAMES.chars().collect();
    let surname = if rng.chance(400) { surnames[rng.below(20) as usize] } else { *rng.pick(&surnames) };
    let pool: Vec<char> = if male { MALE_CHARS } else { FEMALE_CHARS }.chars().collect();
    let mut name = surname.to_string();
    name.push(*rng.pick(&pool));
    if rng.chance(700) {
        name.push(*rng.pick(&pool));
    }
    name
}

/// A unique 18-character identity number: county + birth date + sequence (odd = male) + check.
fn certno(
    rng: &mut Rng,
    counties: &[String],
    birth: Date,
    male: bool,
    used: &mut BTreeSet<String>,
) -> String {
    loop {
        let county = rng.pick(counties);
        let seq = rng.below(500) * 2 + u64::from(male);
        let first17 = format!("{county}{:04}{:02}{:02}{seq:03}", birth.year(), birth.month(), birth.day());
        let check = CertNo::check_digit(&first17).expect("17 digits");
        let full = format!("{first17}{check}");
        let parsed = CertNo::parse(&full).expect("generated identity number parses");
        assert_eq!(parsed.birth_date(), birth);
        if used.insert(full.clone()) {
            return full;
        }
    }
}

/// Story keys to person numbers.
pub fn cast_index(persons: &[Person]) -> BTreeMap<&'static str, String> {
    let mut index = BTreeMap::new();
    for c in CAST {
        let serial =
            CAST.iter().filter(|o| o.region == c.region).position(|o| o.key == c.key).expect("in cast") + 1;
        let psn_no = format!("P{}{serial:06}", &c.region[..4]);
        assert!(persons.iter().any(|p| p.psn_no == psn_no), "story person {} not generated", c.key);
        index.insert(c.key, psn_no);
    }
    index
}

pub const HEADER: [&str; 10] = [
    "psn_no",
    "certno",
    "psn_name",
    "gend",
    "brdy",
    "insuplc_admdvs",
    "insutype",
    "psn_group",
    "assist_class",
    "acct_balance",
];

pub fn cells(p: &Person) -> Vec<String> {
    vec![
        p.psn_no.clone(),
        p.certno.clone(),
        p.name.clone(),
        if p.male { "1" } else { "2" }.to_string(),
        p.birth.to_string(),
        p.region.to_string(),
        p.insutype.code().to_string(),
        p.group.key().to_string(),
        p.assist.unwrap_or("").to_string(),
        crate::out::opt(p.acct_fen),
    ]
}

/// Age in whole years on a date.
pub fn age_on(birth: Date, on: Date) -> i32 {
    let had_birthday = (on.month(), on.day()) >= (birth.month(), birth.day());
    on.year() - birth.year() - i32::from(!had_birthday)
}
