/**
 * The form's Model section: one to four pickers of a base model, a listed checkpoint, or a typed
 * checkpoint path, with Compare with… and Refresh list.
 */
import { contextLabel } from '../../shared/format';
import { checkpointPathProblem, type CheckpointInfo, type ModelInfo, type Target } from '../../shared/playground';
import { clear, h, type ValueEl } from './dom';

/** A picker's value: "base:<model>", "path:<checkpoint>", or "custom" with the typed path. */
interface Choice {
  choice: string;
  custom: string;
}

export class TargetsSection {
  readonly el = h('div', { className: 'targets' });
  private models: ModelInfo[] = [];
  private checkpoints: CheckpointInfo[] = [];
  private targets: Choice[] = [{ choice: '', custom: '' }];

  constructor(private readonly cb: { changed(): void; refresh(): void }) {}

  setCatalog(models: ModelInfo[], checkpoints: CheckpointInfo[]): void {
    this.models = models;
    this.checkpoints = checkpoints;
    const first = this.targets[0];
    // Until the list arrives the first row can only say "custom"; once models exist, default to one.
    if (first && (!first.choice || (first.choice === 'custom' && !first.custom)) && models[0])
      first.choice = `base:${models[0].model_name}`;
    this.render();
  }

  setDraft(targets: Target[]): void {
    if (!targets.length) return;
    this.targets = targets.map((t) =>
      'base_model' in t
        ? { choice: `base:${t.base_model}`, custom: '' }
        : this.isKnownPath(t.model_path)
          ? { choice: `path:${t.model_path}`, custom: '' }
          : { choice: 'custom', custom: t.model_path },
    );
  }

  read(): Target[] {
    const out: Target[] = [];
    for (const t of this.targets) {
      if (t.choice.startsWith('base:')) out.push({ base_model: t.choice.slice(5) });
      else if (t.choice.startsWith('path:')) out.push({ model_path: t.choice.slice(5) });
      else if (t.custom) out.push({ model_path: t.custom });
    }
    return out;
  }

  private isKnownPath(p: string): boolean {
    return this.checkpoints.some((c) => c.path === p);
  }

  render(): void {
    clear(this.el);
    this.targets.forEach((t, i) => this.renderRow(t, i));
    const row = h('div', { className: 'target-tools' });
    if (this.targets.length < 4) {
      const add = h(
        'vscode-button',
        { secondary: true, 'data-action': 'add-target' },
        this.targets.length === 1 ? 'Compare with…' : 'Add model',
      );
      add.addEventListener('click', () => {
        const next = this.models.find((m) => !this.targets.some((t) => t.choice === `base:${m.model_name}`));
        const cp = this.checkpoints.find((c) => !this.targets.some((t) => t.choice === `path:${c.path}`));
        this.targets.push({ choice: cp ? `path:${cp.path}` : next ? `base:${next.model_name}` : 'custom', custom: '' });
        this.render();
        this.cb.changed();
      });
      row.append(add);
    }
    const refresh = h('vscode-button', { secondary: true, 'data-action': 'refresh-models' }, 'Refresh list');
    refresh.addEventListener('click', () => this.cb.refresh());
    row.append(refresh);
    this.el.append(row);
  }

  private renderRow(t: Choice, i: number): void {
    const select = h('vscode-single-select', { 'aria-label': `Model ${i + 1}`, 'data-target': i }) as ValueEl;
    const opts: HTMLElement[] = [];
    for (const m of this.models) {
      const ctx = m.max_context_length ? ` (${contextLabel(m.max_context_length)})` : '';
      opts.push(h('vscode-option', { value: `base:${m.model_name}`, description: 'base model' }, m.model_name + ctx));
    }
    for (const c of this.checkpoints) {
      opts.push(h('vscode-option', { value: `path:${c.path}`, description: `checkpoint of ${c.base_model}` }, `${c.run_id} / ${c.name}`));
    }
    opts.push(h('vscode-option', { value: 'custom' }, 'Checkpoint path (mint:// or tinker://)…'));
    const values = opts.map((o) => o.getAttribute('value') ?? '');
    if (!values.includes(t.choice)) {
      if (t.choice.startsWith('path:')) {
        // A path the server does not list (yet): keep it, as free text.
        t.custom = t.choice.slice(5);
        t.choice = 'custom';
      } else if (t.choice.startsWith('base:')) {
        // Restored from a draft before the model list arrived, or a model the server dropped: keep it visible.
        opts.unshift(h('vscode-option', { value: t.choice, description: 'not in the server list' }, t.choice.slice(5)));
      } else if (t.choice !== 'custom') {
        t.choice = values[0] === 'custom' ? 'custom' : (values[0] ?? 'custom');
      }
    }
    select.append(...opts);
    select.value = t.choice;
    select.addEventListener('change', () => {
      t.choice = select.value;
      this.render();
      this.cb.changed();
    });
    const row = h('div', { className: 'target-row' }, select);
    if (this.targets.length > 1) {
      const rm = h('vscode-button', { secondary: true, 'aria-label': `Remove model ${i + 1}`, 'data-action': 'remove-target' }, '×');
      rm.addEventListener('click', () => {
        this.targets.splice(i, 1);
        this.render();
        this.cb.changed();
      });
      row.append(rm);
    }
    this.el.append(row);
    if (t.choice === 'custom') {
      const field = h('vscode-textfield', {
        placeholder: 'mint://<run>/sampler_weights/<name>',
        'aria-label': `Checkpoint path ${i + 1}`,
        'data-target-path': i,
      }) as ValueEl;
      field.value = t.custom;
      const err = h('div', { className: 'err', 'data-error': `target-${i}` });
      const check = () => {
        const problem = t.custom ? checkpointPathProblem(t.custom) : 'Enter a checkpoint path.';
        field.invalid = Boolean(problem && t.custom);
        err.textContent = t.custom ? (problem ?? '') : '';
      };
      field.addEventListener('input', () => {
        t.custom = field.value.trim();
        check();
        this.cb.changed();
      });
      check();
      this.el.append(field, err);
    }
  }
}
