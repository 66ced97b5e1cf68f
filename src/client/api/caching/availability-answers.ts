import { LRUCache } from "lru-cache";

/** A search answer as it was sent: its body, serialized once, its ETag, and when it was made. */
export interface CachedAnswer {
  payload: string;
  etag: string;
  madeAt: number;
}

export interface AvailabilityAnswers {
  /**
   * The answer to a search, from memory while it is younger than the bound, else made by `make`
   * (one `make` for every concurrent request of the same search). `fresh` makes it anew whatever is kept.
   */
  answer(key: AnswerKey, make: () => Promise<Omit<CachedAnswer, "madeAt">>, fresh?: boolean): Promise<CachedAnswer>;
  /** A reservation was made, refused, confirmed or cancelled here: every kept answer for the treatment is dropped. */
  forgetTreatment(treatmentId: string): void;
  /** An operator changed providers or the catalog here (paused one, mapped codes …): every kept answer is dropped. */
  forgetAll(): void;
  readonly size: number;
}

export interface AnswerKey {
  treatmentId: string;
  /** Everything else that makes the answer what it is (clinics, dates, page). */
  rest: string;
}

/**
 * Search answers this API process keeps for as long as it lets a CDN or a
 * client keep them (`Cache-Control: max-age`, 5 s by default), so that a
 * search repeated by many visitors is answered from here, without the four
 * service hops behind it: what a CDN in front of the API would do, with the
 * same bound. Availability holds no personal data and is the same for every
 * client allowed to search, so the key is the search alone; authentication
 * and rate limits run before it as before. What this process itself changes
 * is not kept: a reservation attempt, a confirmation or a cancellation drops
 * the treatment's answers at once. A change elsewhere (another API process,
 * the reconciler, a clinic) is seen within the bound, as through a CDN; below
 * it, provider access's cache drops a taken slot at once. `Cache-Control:
 * no-cache` on a request asks anew.
 */
export function createAvailabilityAnswers(options: { maxAgeMs: number; maxEntries?: number; now?: () => number }): AvailabilityAnswers {
  const now = options.now ?? Date.now;
  const kept = new LRUCache<string, CachedAnswer>({ max: options.maxEntries ?? 10_000 });
  const making = new Map<string, Promise<CachedAnswer>>();
  /** Bumped per treatment when it is forgotten: an answer being made then is not kept. */
  const generations = new Map<string, number>();
  const keyOf = (key: AnswerKey) => `${key.treatmentId}\u0000${key.rest}`;

  return {
    answer(key, make, fresh = false) {
      const id = keyOf(key);
      const known = kept.get(id);
      const at = now();
      if (!fresh && known && at >= known.madeAt && at - known.madeAt < options.maxAgeMs) return Promise.resolve(known);
      const running = making.get(id);
      if (running) return running;
      const generation = generations.get(key.treatmentId) ?? 0;
      const made = make()
        .then((answer) => {
          const complete = { ...answer, madeAt: now() };
          if (options.maxAgeMs > 0 && (generations.get(key.treatmentId) ?? 0) === generation) kept.set(id, complete);
          return complete;
        })
        .finally(() => making.delete(id));
      making.set(id, made);
      return made;
    },

    forgetTreatment,

    forgetAll() {
      for (const treatmentId of new Set([...kept.keys(), ...making.keys()].map((id) => id.split("\u0000")[0]!)))
        forgetTreatment(treatmentId);
    },

    get size() {
      return kept.size;
    },
  };

  function forgetTreatment(treatmentId: string) {
    generations.set(treatmentId, (generations.get(treatmentId) ?? 0) + 1);
    const prefix = `${treatmentId}\u0000`;
    for (const id of [...kept.keys()]) if (id.startsWith(prefix)) kept.delete(id);
    for (const id of [...making.keys()]) if (id.startsWith(prefix)) making.delete(id);
  }
}
