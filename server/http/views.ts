import fs from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';
import { Express } from 'express';
import { AUDIT_ACTION_LABELS } from '../audit/labels';
import { formatCalendarDateZh, formatInstantCst } from '../domain/dates';
import { formatWan } from '../domain/money';
import { ROUND_STATES } from '../domain/rounds';
import { ROLE_LABELS } from '../domain/roles';

/**
 * Handlebars views: `views/<feature>/<page>.hbs` rendered into `views/layouts/main.hbs`, with
 * the partials of `views/partials`. Compiled templates are cached except in development.
 */

export const VIEWS_DIR = path.resolve(__dirname, '../../views');

/** A code's label from a table, or the code itself: own keys only (never `constructor` and the like). */
const labelOf = (table: Record<string, string>, code: unknown): string => {
  const key = String(code ?? '');
  return Object.hasOwn(table, key) ? table[key] : key;
};

function registerHelpers(hbs: typeof Handlebars): void {
  hbs.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  hbs.registerHelper('not', (a: unknown) => !a);
  hbs.registerHelper('or', (...args: unknown[]) => args.slice(0, -1).some(Boolean));
  hbs.registerHelper('and', (...args: unknown[]) => args.slice(0, -1).every(Boolean));
  hbs.registerHelper('instant', (value: unknown) => (value instanceof Date ? formatInstantCst(value) : ''));
  hbs.registerHelper('dateZh', (value: unknown) =>
    typeof value === 'string' && value ? formatCalendarDateZh(value) : '',
  );
  hbs.registerHelper('roleLabel', (role: unknown) => labelOf(ROLE_LABELS, role));
  hbs.registerHelper('roundState', (state: unknown) => labelOf(ROUND_STATES, state));
  hbs.registerHelper('auditAction', (action: unknown) => labelOf(AUDIT_ACTION_LABELS, action));
  hbs.registerHelper('encode', (value: unknown) => encodeURIComponent(String(value ?? '')));
  hbs.registerHelper('wan', (value: unknown) => (typeof value === 'bigint' ? formatWan(value) : ''));
  hbs.registerHelper('json', (value: unknown) =>
    value === null || value === undefined ? '' : JSON.stringify(value, null, 1),
  );
  hbs.registerHelper('concat', (...args: unknown[]) => args.slice(0, -1).join(''));
  // A form's errors by field name ({byName, first}, see reviews/itemView.ts): the attributes that
  // mark a field as wrong (the first one also takes the focus), and the message put after it.
  hbs.registerHelper(
    'invalid',
    (errors: { byName?: Record<string, string>; first?: string } | undefined, name: string) => {
      if (!errors?.byName || !Object.hasOwn(errors.byName, name)) return '';
      const id = Handlebars.escapeExpression(`error-${name}`);
      return new Handlebars.SafeString(
        ` aria-invalid="true" aria-describedby="${id}"${errors.first === name ? ' autofocus' : ''}`,
      );
    },
  );
  hbs.registerHelper('errorAfter', (errors: { byName?: Record<string, string> } | undefined, name: string) => {
    if (!errors?.byName || !Object.hasOwn(errors.byName, name)) return '';
    const e = Handlebars.escapeExpression;
    return new Handlebars.SafeString(
      `<p class="field-error" id="${e(`error-${name}`)}" data-for="${e(name)}">${e(errors.byName[name])}</p>`,
    );
  });
  hbs.registerHelper('fieldError', (errors: unknown, field: string) => {
    if (!Array.isArray(errors)) return '';
    const found = errors.find((e: { field?: string }) => e.field === field) as { message?: string } | undefined;
    return found?.message ?? '';
  });
}

export function setUpViews(app: Express, options: { cache: boolean }): void {
  const hbs = Handlebars.create();
  registerHelpers(hbs);
  const cache = new Map<string, Handlebars.TemplateDelegate>();

  const compileText = (text: string) => hbs.compile(text, { strict: false, preventIndent: true });
  const compile = (file: string): Handlebars.TemplateDelegate => {
    const cached = options.cache ? cache.get(file) : undefined;
    if (cached) return cached;
    const template = compileText(fs.readFileSync(file, 'utf8'));
    if (options.cache) cache.set(file, template);
    return template;
  };

  // Partials are registered compiled: one registered as text is compiled again at every render
  // that uses it (handlebars keeps the compiled partial on that render's copy of the partials).
  const loadPartials = () => {
    const dir = path.join(VIEWS_DIR, 'partials');
    for (const name of fs.readdirSync(dir)) {
      if (name.endsWith('.hbs'))
        hbs.registerPartial(name.slice(0, -4), compileText(fs.readFileSync(path.join(dir, name), 'utf8')));
    }
  };
  loadPartials();

  app.engine('hbs', (file: string, context: object, callback: (err: Error | null, html?: string) => void) => {
    try {
      if (!options.cache) loadPartials();
      const data = context as Record<string, unknown> & { layout?: string | false };
      const body = compile(file)(data);
      if (data.layout === false) return callback(null, body);
      const layout = compile(path.join(VIEWS_DIR, 'layouts', `${data.layout ?? 'main'}.hbs`));
      callback(null, layout({ ...data, body }));
    } catch (err) {
      callback(err as Error);
    }
  });
  app.set('view engine', 'hbs');
  app.set('views', VIEWS_DIR);
}
