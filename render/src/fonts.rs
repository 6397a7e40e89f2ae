//! Fonts: which file plays which GB/T 9704 role (仿宋, 楷体, 黑体, 小标宋, 宋体), loading and
//! parsing them once, and measuring text. See `docs/fonts.md` for the free stand-ins.

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    sync::{Arc, RwLock},
};

use printpdf::ParsedFont;
use serde::Deserialize;

use crate::error::RenderError;

/// The typefaces GB/T 9704-2012 names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FontRole {
    /// 仿宋_GB2312: body text, 3rd/4th level headings, 版记 (§6.1, §7.3.3, §7.4).
    FangSong,
    /// 楷体_GB2312: 2nd level headings, 签发人 name (§7.3.3, §7.2.6).
    KaiTi,
    /// 黑体: 1st level headings, 密级/紧急程度, 出席 labels (§7.2.2, §7.2.3, §7.3.3, §10.3).
    HeiTi,
    /// 方正小标宋: 发文机关标志, 纪要标志, title (§7.2.4, §7.3.1).
    XiaoBiaoSong,
    /// 宋体: page numbers (§7.5).
    SongTi,
}

impl FontRole {
    pub const ALL: [FontRole; 5] = [
        FontRole::FangSong,
        FontRole::KaiTi,
        FontRole::HeiTi,
        FontRole::XiaoBiaoSong,
        FontRole::SongTi,
    ];

    fn slot(self) -> usize {
        match self {
            FontRole::FangSong => 0,
            FontRole::KaiTi => 1,
            FontRole::HeiTi => 2,
            FontRole::XiaoBiaoSong => 3,
            FontRole::SongTi => 4,
        }
    }

    /// The typeface the standard asks for.
    pub fn chinese_name(self) -> &'static str {
        match self {
            FontRole::FangSong => "仿宋_GB2312",
            FontRole::KaiTi => "楷体_GB2312",
            FontRole::HeiTi => "黑体",
            FontRole::XiaoBiaoSong => "方正小标宋",
            FontRole::SongTi => "宋体",
        }
    }

    /// Built-in candidates, best first, as lower-case file names searched under the font
    /// directories. The licensed faces come first so that a unit that drops `simfang.ttf`
    /// etc. into `/usr/share/fonts` gets them without configuration; then the free stand-ins
    /// documented in `docs/fonts.md`.
    fn candidates(self) -> &'static [&'static str] {
        match self {
            FontRole::FangSong => &[
                "fangsong_gb2312.ttf",
                "仿宋_gb2312.ttf",
                "simfang.ttf",
                "fzfsk.ttf",
                "notoserifcjk-regular.ttc",
                "notoserifcjksc-regular.otf",
                "uming.ttc",
                "wqy-microhei.ttc",
            ],
            FontRole::KaiTi => &[
                "kaiti_gb2312.ttf",
                "楷体_gb2312.ttf",
                "simkai.ttf",
                "fzktk.ttf",
                "lxgwwenkai-regular.ttf",
                "ukai.ttc",
                "notoserifcjk-regular.ttc",
                "uming.ttc",
                "wqy-microhei.ttc",
            ],
            FontRole::HeiTi => &[
                "simhei.ttf",
                "fzhtk.ttf",
                "notosanscjk-regular.ttc",
                "notosanscjksc-regular.otf",
                "wqy-microhei.ttc",
                "wqy-zenhei.ttc",
            ],
            FontRole::XiaoBiaoSong => &[
                "fzxbsjw.ttf",
                "fzxbsk.ttf",
                "方正小标宋简体.ttf",
                "方正小标宋_gbk.ttf",
                "notoserifcjk-bold.ttc",
                "notoserifcjksc-bold.otf",
                "notoserifcjk-regular.ttc",
                "uming.ttc",
                "wqy-microhei.ttc",
            ],
            FontRole::SongTi => &[
                "simsun.ttc",
                "simsun.ttf",
                "notoserifcjk-regular.ttc",
                "notoserifcjksc-regular.otf",
                "uming.ttc",
                "wqy-microhei.ttc",
            ],
        }
    }
}

/// Where the fonts come from. Each `None` falls back to the built-in search under
/// [`FontConfig::search_dirs`] (default `/usr/share/fonts` and `/usr/local/share/fonts`).
/// A `.ttc` collection may name its face as `file.ttc#2`; without `#n` the first
/// Simplified-Chinese face (family ending in SC/CN or mentioning GB) is used.
#[derive(Debug, Default, Clone, Deserialize, PartialEq)]
pub struct FontConfig {
    pub fangsong: Option<PathBuf>,
    pub kaiti: Option<PathBuf>,
    pub heiti: Option<PathBuf>,
    pub xiaobiaosong: Option<PathBuf>,
    pub songti: Option<PathBuf>,
    /// Directories searched (recursively) for the built-in candidates.
    #[serde(default)]
    pub search_dirs: Vec<PathBuf>,
}

impl FontConfig {
    fn configured(&self, role: FontRole) -> Option<&PathBuf> {
        match role {
            FontRole::FangSong => self.fangsong.as_ref(),
            FontRole::KaiTi => self.kaiti.as_ref(),
            FontRole::HeiTi => self.heiti.as_ref(),
            FontRole::XiaoBiaoSong => self.xiaobiaosong.as_ref(),
            FontRole::SongTi => self.songti.as_ref(),
        }
    }
}

/// What was loaded for a role (for logs, the admin page and `docs/fonts.md`).
#[derive(Debug, Clone, PartialEq)]
pub struct FontChoice {
    pub role: FontRole,
    pub path: PathBuf,
    pub face_index: usize,
    /// PostScript name from the font's `name` table.
    pub postscript_name: String,
    /// True when the file was found by the built-in search rather than configured.
    pub from_search: bool,
}

pub(crate) struct Face {
    pub parsed: ParsedFont,
    upem: f32,
    /// char → (glyph id, advance in em). The parsed CJK cmaps are format 12 and looked up by a
    /// linear scan over thousands of groups; a document uses a few hundred distinct
    /// characters, so memoising them takes the lookup out of the profile.
    memo: RwLock<HashMap<char, Option<(u16, f32)>>>,
}

impl Face {
    /// Glyph id and advance (em) of `ch`, or `None` when the face has no glyph for it.
    pub fn glyph(&self, ch: char) -> Option<(u16, f32)> {
        if let Ok(m) = self.memo.read()
            && let Some(v) = m.get(&ch)
        {
            return *v;
        }
        let v = self
            .parsed
            .lookup_glyph_index(ch as u32)
            .filter(|gid| *gid != 0)
            .map(|gid| {
                (
                    gid,
                    f32::from(self.parsed.get_horizontal_advance(gid)) / self.upem,
                )
            });
        if let Ok(mut m) = self.memo.write() {
            m.insert(ch, v);
        }
        v
    }
}

struct Inner {
    faces: Vec<Face>,
    /// role slot → index into `faces`
    role_face: [usize; 5],
    /// role slot → faces to try, in order, for characters the role's face lacks
    fallback: [Vec<usize>; 5],
    choices: Vec<FontChoice>,
}

/// Parsed fonts for all roles. Parse once at start-up (100–600 ms); cloning is an `Arc` bump
/// and the set is `Send + Sync`.
#[derive(Clone)]
pub struct FontSet {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for FontSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FontSet")
            .field("choices", &self.inner.choices)
            .finish()
    }
}

const DEFAULT_SEARCH_DIRS: [&str; 2] = ["/usr/share/fonts", "/usr/local/share/fonts"];

impl FontSet {
    /// Load from a directory config; `None` fields → built-in defaults searched under
    /// `/usr/share/fonts` (see [`FontConfig`]).
    pub fn load(cfg: &FontConfig) -> Result<FontSet, RenderError> {
        let dirs: Vec<PathBuf> = if cfg.search_dirs.is_empty() {
            DEFAULT_SEARCH_DIRS.iter().map(PathBuf::from).collect()
        } else {
            cfg.search_dirs.clone()
        };
        let mut index: Option<HashMap<String, PathBuf>> = None;

        // role → (path, explicit face index, from_search)
        let mut wanted: Vec<(FontRole, PathBuf, Option<usize>, bool)> = Vec::new();
        for role in FontRole::ALL {
            if let Some(p) = cfg.configured(role) {
                let (path, face) = split_face_suffix(p);
                wanted.push((role, path, face, false));
                continue;
            }
            let files = index.get_or_insert_with(|| index_font_files(&dirs));
            let found = role
                .candidates()
                .iter()
                .find_map(|c| files.get(*c).cloned());
            match found {
                Some(path) => wanted.push((role, path, None, true)),
                None => {
                    return Err(RenderError::FontNotFound {
                        role,
                        tried: format!(
                            "{} under {}",
                            role.candidates().join(", "),
                            dirs.iter()
                                .map(|d| d.display().to_string())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    });
                }
            }
        }

        // Read each file once, pick faces, parse each distinct (file, face) once, in parallel.
        let mut bytes_by_path: HashMap<PathBuf, Arc<Vec<u8>>> = HashMap::new();
        let mut resolved: Vec<(FontRole, PathBuf, usize, bool)> = Vec::new();
        for (role, path, face, from_search) in wanted {
            let bytes = match bytes_by_path.get(&path) {
                Some(b) => b.clone(),
                None => {
                    let b = std::fs::read(&path).map_err(|source| RenderError::FontIo {
                        path: path.clone(),
                        source,
                    })?;
                    let b = Arc::new(b);
                    bytes_by_path.insert(path.clone(), b.clone());
                    b
                }
            };
            let face = match face {
                Some(f) => f,
                None => pick_simplified_face(&bytes),
            };
            resolved.push((role, path, face, from_search));
        }
        let mut distinct: Vec<(PathBuf, usize)> = Vec::new();
        for (_, path, face, _) in &resolved {
            if !distinct.iter().any(|(p, f)| p == path && f == face) {
                distinct.push((path.clone(), *face));
            }
        }
        let parsed: Vec<Result<Face, RenderError>> = std::thread::scope(|s| {
            let handles: Vec<_> = distinct
                .iter()
                .map(|(path, face)| {
                    let bytes = bytes_by_path.get(path).cloned().unwrap_or_default();
                    s.spawn(move || parse_face(path, &bytes, *face))
                })
                .collect();
            handles
                .into_iter()
                .zip(distinct.iter())
                .map(|(h, (path, face))| {
                    h.join().unwrap_or(Err(RenderError::FontParse {
                        path: path.clone(),
                        face: *face,
                    }))
                })
                .collect()
        });
        let mut faces = Vec::with_capacity(parsed.len());
        for f in parsed {
            faces.push(f?);
        }

        let mut role_face = [0usize; 5];
        let mut choices = Vec::new();
        for (role, path, face, from_search) in resolved {
            let idx = distinct
                .iter()
                .position(|(p, f)| *p == path && *f == face)
                .unwrap_or(0);
            role_face[role.slot()] = idx;
            let postscript_name = faces
                .get(idx)
                .and_then(|f: &Face| f.parsed.font_name.clone())
                .unwrap_or_default();
            choices.push(FontChoice {
                role,
                path,
                face_index: face,
                postscript_name,
                from_search,
            });
        }
        let order = [
            FontRole::FangSong,
            FontRole::SongTi,
            FontRole::HeiTi,
            FontRole::KaiTi,
            FontRole::XiaoBiaoSong,
        ];
        let fallback: [Vec<usize>; 5] = std::array::from_fn(|slot| {
            let own = role_face[slot];
            let mut v = Vec::new();
            for r in order {
                let i = role_face[r.slot()];
                if i != own && !v.contains(&i) {
                    v.push(i);
                }
            }
            v
        });
        Ok(FontSet {
            inner: Arc::new(Inner {
                faces,
                role_face,
                fallback,
                choices,
            }),
        })
    }

    /// Which file serves which role.
    pub fn choices(&self) -> &[FontChoice] {
        &self.inner.choices
    }

    pub(crate) fn faces(&self) -> &[Face] {
        &self.inner.faces
    }

    /// The face index (into [`FontSet::faces`]) that renders `ch` for `role`, and its advance
    /// in em. Characters the role's face lacks come from another face of the set; if no face
    /// has them, the role's face (and its .notdef) is used with a 1 em advance.
    pub(crate) fn resolve(&self, role: FontRole, ch: char) -> (usize, u16, f32) {
        let own = self.inner.role_face[role.slot()];
        if let Some(face) = self.inner.faces.get(own)
            && let Some((gid, a)) = face.glyph(ch)
        {
            return (own, gid, a);
        }
        for &i in &self.inner.fallback[role.slot()] {
            if let Some(face) = self.inner.faces.get(i)
                && let Some((gid, a)) = face.glyph(ch)
            {
                return (i, gid, a);
            }
        }
        (own, 0, 1.0)
    }
}

fn parse_face(path: &Path, bytes: &[u8], face: usize) -> Result<Face, RenderError> {
    let mut warnings = Vec::new();
    let parsed = ParsedFont::from_bytes(bytes, face, &mut warnings).ok_or_else(|| {
        RenderError::FontParse {
            path: path.to_path_buf(),
            face,
        }
    })?;
    let upem = f32::from(parsed.pdf_font_metrics.units_per_em.max(1));
    let f = Face {
        parsed,
        upem,
        memo: RwLock::new(HashMap::new()),
    };
    if f.glyph('中').is_none() {
        return Err(RenderError::Invalid(format!(
            "font {} (face {face}) has no Chinese glyphs",
            path.display()
        )));
    }
    Ok(f)
}

/// `fonts/x.ttc#2` → (`fonts/x.ttc`, Some(2)).
fn split_face_suffix(p: &Path) -> (PathBuf, Option<usize>) {
    let s = p.to_string_lossy();
    if let Some((file, n)) = s.rsplit_once('#')
        && let Ok(n) = n.parse::<usize>()
    {
        return (PathBuf::from(file), Some(n));
    }
    (p.to_path_buf(), None)
}

/// Lower-case file name → first path found, walking `dirs` recursively (sorted, so the
/// choice is stable).
fn index_font_files(dirs: &[PathBuf]) -> HashMap<String, PathBuf> {
    let mut out = HashMap::new();
    let mut stack: Vec<PathBuf> = dirs.to_vec();
    stack.reverse();
    while let Some(dir) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
        entries.sort();
        let mut subdirs = Vec::new();
        for p in entries {
            if p.is_dir() {
                subdirs.push(p);
            } else if let Some(name) = p.file_name().and_then(|n| n.to_str()) {
                out.entry(name.to_lowercase()).or_insert(p);
            }
        }
        subdirs.reverse();
        stack.extend(subdirs);
    }
    out
}

/// For a `.ttc` collection: the first face whose family name marks Simplified Chinese
/// ("… SC", "… CN", "GB…"), else 0. Plain fonts: 0.
fn pick_simplified_face(bytes: &[u8]) -> usize {
    let Some(offsets) = ttc_offsets(bytes) else {
        return 0;
    };
    for (i, off) in offsets.iter().enumerate() {
        for name in sfnt_names(bytes, *off) {
            let last = name.split_whitespace().last().unwrap_or("");
            if last == "SC" || last == "CN" || name.contains("GB") || name.contains("简") {
                return i;
            }
        }
    }
    0
}

fn be_u16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}
fn be_u32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes([
        *b.get(at)?,
        *b.get(at + 1)?,
        *b.get(at + 2)?,
        *b.get(at + 3)?,
    ]))
}

fn ttc_offsets(b: &[u8]) -> Option<Vec<usize>> {
    if b.get(0..4)? != b"ttcf" {
        return None;
    }
    let n = be_u32(b, 8)? as usize;
    (0..n.min(64))
        .map(|i| be_u32(b, 12 + 4 * i).map(|o| o as usize))
        .collect()
}

/// Family names (nameID 1 and 16) of the sfnt at `off`.
fn sfnt_names(b: &[u8], off: usize) -> Vec<String> {
    let mut out = Vec::new();
    let Some(num_tables) = be_u16(b, off + 4) else {
        return out;
    };
    let mut name_off = None;
    for t in 0..usize::from(num_tables) {
        let rec = off + 12 + 16 * t;
        if b.get(rec..rec + 4) == Some(b"name") {
            name_off = be_u32(b, rec + 8).map(|o| o as usize);
        }
    }
    let Some(n) = name_off else { return out };
    let (Some(count), Some(str_off)) = (be_u16(b, n + 2), be_u16(b, n + 4)) else {
        return out;
    };
    for r in 0..usize::from(count) {
        let rec = n + 6 + 12 * r;
        let (Some(platform), Some(name_id), Some(len), Some(o)) = (
            be_u16(b, rec),
            be_u16(b, rec + 6),
            be_u16(b, rec + 8),
            be_u16(b, rec + 10),
        ) else {
            continue;
        };
        if name_id != 1 && name_id != 16 {
            continue;
        }
        let start = n + usize::from(str_off) + usize::from(o);
        let Some(raw) = b.get(start..start + usize::from(len)) else {
            continue;
        };
        let s = if platform == 3 || platform == 0 {
            let units: Vec<u16> = raw
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            String::from_utf16_lossy(&units)
        } else {
            raw.iter().map(|&c| c as char).collect()
        };
        out.push(s);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn face_suffix() {
        assert_eq!(
            split_face_suffix(Path::new("/a/b.ttc#2")),
            (PathBuf::from("/a/b.ttc"), Some(2))
        );
        assert_eq!(
            split_face_suffix(Path::new("/a/b.ttf")),
            (PathBuf::from("/a/b.ttf"), None)
        );
    }

    #[test]
    fn picks_sc_face_of_noto_collection() {
        let p = Path::new("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc");
        let Ok(bytes) = std::fs::read(p) else {
            eprintln!("skipped: {} not installed", p.display());
            return;
        };
        assert_eq!(pick_simplified_face(&bytes), 2);
    }

    fn _assert_send_sync() {
        fn is<T: Send + Sync>() {}
        is::<FontSet>();
    }
}
