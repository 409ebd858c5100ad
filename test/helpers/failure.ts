/** The CertfleetError a promise rejects with; a promise that resolves fails the test. */
import { expect } from 'vitest';
import { CertfleetError } from '../../src/errors.js';

export async function failure(promise: Promise<unknown>): Promise<CertfleetError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(CertfleetError);
    return err as CertfleetError;
  }
  throw new Error('expected a failure');
}
