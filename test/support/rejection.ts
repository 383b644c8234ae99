/**
 * The error a promise rejects with. Driver errors are created outside Jest's sandbox, so
 * `rejects.toThrow()` (an instanceof check) is unreliable for them; assert on this instead.
 */
export async function rejectionOf(promise: PromiseLike<unknown>): Promise<{ message: string; code?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { message: string; code?: string };
  }
  throw new Error('expected the promise to reject, but it resolved');
}
