export async function runInk (_app: unknown): Promise<void> { throw new Error('todo') }
