import JSZip from 'jszip';
import { AlignmentType, Document, Footer, ImageRun, LineRuleType, Packer, PageNumber, Paragraph, TextRun } from 'docx';
import { AnnouncementFigures, MIN_ESTIMATE_SAMPLE, PARTS, Section } from '../domain/announcement';
import { KIND_LABELS } from '../domain/population';
import { CHART_TITLES, chartConfigs, ChartName, chartPng } from './charts';

/** The announcement as parts (一、基本情况 …), each with its sections and paragraphs. */
export interface Part {
  heading: string | null;
  sections: Array<{ key: string; heading: string | null; paragraphs: string[] }>;
}

export function partsOf(sections: Section[]): Part[] {
  const parts: Part[] = [];
  for (const s of sections) {
    const heading = PARTS[s.part];
    let part = parts[parts.length - 1];
    if (!part || part.heading !== heading) parts.push((part = { heading, sections: [] }));
    part.sections.push({
      key: s.key,
      heading: s.heading,
      paragraphs: s.text
        .split(/\n\s*\n|\n/)
        .map((p) => p.trim())
        .filter(Boolean),
    });
  }
  return parts;
}

/** "据随机样本估计…" lines under the figures: the inflated share by kind with its intervals. */
/**
 * The estimate of inflated self-evaluations in words. The public text (the page and the Word
 * file) leaves out an estimate from too few random items; the lead's view keeps it, saying why
 * it is not published.
 */
export function statisticsLines(f: AnnouncementFigures, audience: 'public' | 'lead' = 'public'): string[] {
  const lines: string[] = [];
  for (const e of f.inflation.estimates) {
    const kind = KIND_LABELS[e.kind];
    if (e.N === e.n) {
      lines.push(`${kind}：${e.n}个已全部抽查，其中${e.x}个自评等级虚高（${e.share}），这是实际比例，没有抽样误差。`);
      continue;
    }
    if (e.tooSmall && audience === 'public') continue;
    const line =
      `${kind}：随机抽取的${e.n}个中有${e.x}个自评等级虚高（${e.share}）。据此推算，在全部${e.N}个${kind}中，` +
      `自评等级虚高的比例有95%的把握在${e.clopperPearson[0]}至${e.clopperPearson[1]}之间，最多不超过${e.upper}` +
      `（Clopper–Pearson 区间和单侧上限；Wilson 区间为${e.wilson[0]}至${e.wilson[1]}）。`;
    lines.push(
      e.tooSmall
        ? `${line}【仅组长可见：随机抽取的样本少于${f.inflation.minSample ?? MIN_ESTIMATE_SAMPLE}个，区间过宽，公示文本和 Word 文件中不列出此估计。】`
        : line,
    );
  }
  if (f.inflation.note && (lines.length || !f.inflation.estimates.length)) lines.push(f.inflation.note);
  return lines;
}

const escape = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** The text as HTML, every piece of it escaped (project names come from the population). */
export function announcementHtml(title: string, sections: Section[]): string {
  const out = [`<h1>${escape(title)}</h1>`];
  for (const part of partsOf(sections)) {
    if (part.heading) out.push(`<h2>${escape(part.heading)}</h2>`);
    for (const s of part.sections) {
      if (s.heading) out.push(`<h3>${escape(s.heading)}</h3>`);
      for (const p of s.paragraphs) out.push(`<p>${escape(p)}</p>`);
    }
  }
  return out.join('\n');
}

// GB/T 9704-2012: A4, margins top 37 mm, bottom 35 mm, left 28 mm, right 26 mm; 二号 title, 三号 text, 28 pt lines.
const MM = 56.7;
const FONTS = {
  title: '方正小标宋简体',
  heading1: '黑体',
  heading2: '楷体_GB2312',
  body: '仿宋_GB2312',
  latin: 'Times New Roman',
};
const SIZE_TITLE = 44;
const SIZE_BODY = 32;
const LINE = { line: 560, lineRule: LineRuleType.EXACT };

function run(text: string, font: string, size = SIZE_BODY, bold = false): TextRun {
  return new TextRun({
    text,
    bold,
    size,
    font: { eastAsia: font, ascii: FONTS.latin, hAnsi: FONTS.latin, hint: 'eastAsia' },
  });
}

/**
 * A paragraph of the body, justified as 公文 are; `left` for one holding long unbroken strings
 * (the seed, the fingerprint, an address), which justification would spread across the line.
 */
function body(text: string, alignment: 'justified' | 'left' = 'justified'): Paragraph {
  return new Paragraph({
    children: [run(text, FONTS.body)],
    indent: { firstLine: 640 },
    spacing: LINE,
    alignment: alignment === 'left' ? AlignmentType.LEFT : AlignmentType.JUSTIFIED,
  });
}

/** The announcement as a Word document in the 公文 layout, with the charts drawn as images. */
export async function announcementDocx(input: {
  title: string;
  sections: Section[];
  figures: AnnouncementFigures;
  dateLine: string;
  bureau: string;
  note?: string | null;
}): Promise<Buffer> {
  const children: Paragraph[] = [
    new Paragraph({
      children: [run(input.title, FONTS.title, SIZE_TITLE)],
      alignment: AlignmentType.CENTER,
      spacing: { line: 700, lineRule: LineRuleType.EXACT, after: 560 },
    }),
  ];
  const charts = chartConfigs(input.figures);
  const chartParagraph = (name: ChartName) => [
    new Paragraph({
      children: [
        new ImageRun({
          type: 'png',
          data: chartPng(charts[name], 900, 480),
          transformation: { width: 560, height: 299 },
          altText: { name: CHART_TITLES[name], description: CHART_TITLES[name], title: CHART_TITLES[name] },
        }),
      ],
      alignment: AlignmentType.CENTER,
    }),
  ];
  for (const part of partsOf(input.sections)) {
    if (part.heading)
      children.push(
        new Paragraph({ children: [run(part.heading, FONTS.heading1)], indent: { firstLine: 640 }, spacing: LINE }),
      );
    for (const s of part.sections) {
      if (s.heading)
        children.push(
          new Paragraph({ children: [run(s.heading, FONTS.heading2)], indent: { firstLine: 640 }, spacing: LINE }),
        );
      children.push(...s.paragraphs.map((p) => body(p, s.key === 'appendix' ? 'left' : 'justified')));
      if (s.key === 'results') {
        children.push(...chartParagraph('grades'), ...chartParagraph('scatter'), ...chartParagraph('deviation'));
        children.push(...statisticsLines(input.figures).map((line) => body(line)));
      }
      if (s.key === 'problems' && input.figures.problems.length) children.push(...chartParagraph('problems'));
    }
  }
  if (input.note) children.push(body(`更正说明：${input.note}`));
  children.push(
    new Paragraph({
      children: [run(input.bureau, FONTS.body)],
      alignment: AlignmentType.RIGHT,
      spacing: { ...LINE, before: 560 },
      indent: { right: 640 },
    }),
  );
  children.push(
    new Paragraph({
      children: [run(input.dateLine, FONTS.body)],
      alignment: AlignmentType.RIGHT,
      spacing: LINE,
      indent: { right: 640 },
    }),
  );

  const document = new Document({
    creator: 'fuhe',
    title: input.title,
    styles: {
      default: {
        document: { run: { size: SIZE_BODY, font: { eastAsia: FONTS.body, ascii: FONTS.latin, hAnsi: FONTS.latin } } },
      },
    },
    sections: [
      {
        properties: {
          page: {
            size: { width: Math.round(210 * MM), height: Math.round(297 * MM) },
            margin: {
              top: Math.round(37 * MM),
              bottom: Math.round(35 * MM),
              left: Math.round(28 * MM),
              right: Math.round(26 * MM),
            },
          },
        },
        footers: {
          default: new Footer({
            children: [
              new Paragraph({
                alignment: AlignmentType.CENTER,
                children: [new TextRun({ children: ['— ', PageNumber.CURRENT, ' —'], size: 28, font: '宋体' })],
              }),
            ],
          }),
        },
        children,
      },
    ],
  });
  return withFontFallbacks(await Packer.toBuffer(document));
}

/**
 * The GB/T 9704 fonts are not on every machine: the font table names, for each, the font Word and
 * WPS fall back to (w:altName) and that it is a GB2312 (simplified Chinese) font, so that a
 * substitute of the same script and kind is chosen.
 */
const FALLBACKS: Array<{ name: string; alt: string; family: 'roman' | 'modern' | 'swiss' }> = [
  { name: FONTS.title, alt: '宋体', family: 'roman' },
  { name: FONTS.heading1, alt: 'SimHei', family: 'modern' },
  { name: FONTS.heading2, alt: '楷体', family: 'modern' },
  { name: FONTS.body, alt: '仿宋', family: 'modern' },
];

async function withFontFallbacks(docx: Buffer): Promise<Buffer> {
  const zip = await JSZip.loadAsync(docx);
  const file = zip.file('word/fontTable.xml');
  if (!file) return docx;
  const xml = await file.async('string');
  const entries = FALLBACKS.map(
    (f) =>
      `<w:font w:name="${f.name}"><w:altName w:val="${f.alt}"/><w:charset w:val="86"/><w:family w:val="${f.family}"/><w:pitch w:val="fixed"/></w:font>`,
  ).join('');
  // The generated table is empty and self-closing (<w:fonts …/>), or has entries already.
  const filled = xml.includes('</w:fonts>')
    ? xml.replace('</w:fonts>', `${entries}</w:fonts>`)
    : xml.replace(/<w:fonts([^>]*)\/>/, `<w:fonts$1>${entries}</w:fonts>`);
  zip.file('word/fontTable.xml', filled);
  return zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' });
}
