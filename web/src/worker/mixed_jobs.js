// Mixed precision (the Mixed precision page): one sensitivity scan kept in
// this worker, then plans at any budget from it (the slider), measurements of
// the standard file types beside verified plans at their sizes (the curve),
// and the planned file itself. See src/quantize/mixed_precision.h.
import { calibrationText, sourceBlob, sourceName } from './sources.js';

export function mixedJobs(ql) {
  let scan = null; // {scan, blob, name}

  function live() {
    if (!scan) throw Object.assign(new Error('run a sensitivity scan first'), { code: 'InvalidArgument' });
    return scan;
  }

  // Plans cross to the page without the imatrix bytes (the file keeps them here).
  const slim = ({ imatrix, ...plan }) => ({ ...plan, hasImatrix: !!imatrix });

  return {
    calibrationText: () => calibrationText(),

    /** Scan a model: progress per step; the result is the table, the curve and the file-size range. */
    async mixedScan({ source, text, nCtx, chunks, types, exactTypes }, { signal, progress }) {
      scan?.scan.dispose();
      scan = null;
      const blob = await sourceBlob(source);
      const calibration = typeof text === 'string' && text.length > 0 ? text : await calibrationText();
      const s = await ql.scanSensitivity(blob, {
        calibrationText: calibration,
        calibrationName: typeof text === 'string' && text.length > 0 ? 'calibration text' : 'calibration.txt',
        imatrixName: 'calibration.imatrix.gguf',
        nCtx, chunks, types, exactTypes,
        // A few chunks make an importance matrix good enough here and keep the scan short.
        imatrixChunks: 8,
        signal,
        onProgress: (p) => progress({ phase: p.phase, step: p.step, nSteps: p.nSteps, tensor: p.tensor, type: p.type, etaSeconds: p.etaSeconds }),
      });
      scan = { scan: s, blob, name: sourceName(source) };
      return { result: s.result, curve: s.curve(), modelBytes: blob.size, name: scan.name };
    },

    /** The best plan for a file size (fast: one table lookup); verify measures it on the calibration chunks. */
    mixedPlan({ targetBytes, verify = false }) {
      return slim(live().scan.plan({ targetBytes, verify }));
    },

    /**
     * Each standard file type measured on the calibration chunks, beside the
     * plan for its size, verified the same way: rows arrive as progress.
     */
    async mixedCompare({ types }, { signal, progress }) {
      const s = live().scan;
      const rows = [];
      for (let i = 0; i < types.length; i++) {
        if (signal.aborted) throw Object.assign(new Error('the operation was cancelled'), { name: 'QuantlabError', code: 'Cancelled' });
        // The type measured, then the plan at its size (which may not exist:
        // a size below the smallest plan of the candidate formats).
        const row = { type: types[i] };
        try {
          row.fixed = s.measureFileType(types[i]);
        } catch (e) {
          row.fixedError = { code: e.code ?? 'Internal', message: e.message };
        }
        if (row.fixed) {
          try {
            row.plan = slim(s.plan({ targetBytes: row.fixed.fileBytes, verify: true }));
          } catch (e) {
            row.planError = { code: e.code ?? 'Internal', message: e.message };
          }
        }
        rows.push(row);
        progress({ index: i, total: types.length, row });
        await new Promise((r) => setTimeout(r, 0)); // let a cancel arrive between types
      }
      return rows;
    },

    /** The planned file for a size, verified, as a Blob. */
    async mixedQuantize({ targetBytes }, { signal, progress }) {
      const { scan: s, blob, name } = live();
      const plan = s.plan({ targetBytes, verify: true });
      const r = await ql.quantizeModel(blob, {
        plan, signal,
        onProgress: (p) => progress({ fraction: p.bytesRead / p.bytesTotal }),
      });
      const base = name.replace(/\.gguf$/i, '');
      // The plan JSON and its importance matrix make the same file with quantlab or llama-quantize.
      const json = JSON.stringify({ ...slim(plan), imatrix: plan.imatrixName }, null, 1);
      return {
        blob: r.blob,
        name: `${base}-mixed-${plan.bitsPerWeight.toFixed(2)}bpw.gguf`,
        planBlob: new Blob([json], { type: 'application/json' }),
        imatrixBlob: plan.imatrix ? new Blob([plan.imatrix]) : null,
        imatrixName: plan.imatrixName,
        plan: slim(plan),
      };
    },
  };
}
