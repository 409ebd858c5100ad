/**
 * Java object serialisation, just enough to step over a JCEKS secret-key entry. The entry (a
 * SealedObject) has no length field: its end is found only by walking the object stream (grammar:
 * Java Object Serialization Specification, chapter 6). Nothing is kept or decoded beyond what the
 * walk needs; every length is checked against the buffer and nesting is capped, so a crafted
 * keystore costs no more than its size.
 */
import { decodeModifiedUtf8, type JavaDataReader } from './java-data-stream.js';
import { KeystoreFormatError } from './keystore-types.js';

/** Nesting limit for the Java serialisation skipper (a SealedObject needs 3). */
const MAX_JAVA_OBJECT_DEPTH = 32;

const TC = {
  NULL: 0x70, REFERENCE: 0x71, CLASSDESC: 0x72, OBJECT: 0x73, STRING: 0x74, ARRAY: 0x75, CLASS: 0x76,
  BLOCKDATA: 0x77, ENDBLOCKDATA: 0x78, RESET: 0x79, BLOCKDATALONG: 0x7a, EXCEPTION: 0x7b, LONGSTRING: 0x7c,
  PROXYCLASSDESC: 0x7d, ENUM: 0x7e,
} as const;
const SC_WRITE_METHOD = 0x01;
const SC_SERIALIZABLE = 0x02;
const SC_EXTERNALIZABLE = 0x04;
const SC_BLOCK_DATA = 0x08;
const primitiveBytes: Record<string, number> = { B: 1, C: 2, D: 8, F: 4, I: 4, J: 8, S: 2, Z: 1 };

interface JavaClassDesc {
  name: string;
  flags: number;
  /** Field type codes in stream order ('L' and '[' are objects). */
  fieldTypes: string[];
  superDesc: JavaClassDesc | null;
}

/** Handles are numbered in the order objects appear; only class descriptors are ever looked up. */
type Handle = JavaClassDesc | 'other';

/**
 * Move `reader` past one Java object stream (magic, version, one top-level content). Throws
 * KeystoreFormatError when the stream is malformed, truncated or nested too deeply.
 */
export function skipJavaObject(reader: JavaDataReader): void {
  if (reader.u16() !== 0xaced || reader.u16() !== 5) throw new KeystoreFormatError('corrupt JCEKS: secret-key entry is not a Java object stream');
  const handles: Handle[] = [];
  const fail = (why: string): never => {
    throw new KeystoreFormatError(`corrupt JCEKS: secret-key entry: ${why}`);
  };

  const content = (depth: number): Handle | null => {
    if (depth > MAX_JAVA_OBJECT_DEPTH) fail('objects nested too deeply');
    const tc = reader.u8();
    switch (tc) {
      case TC.NULL:
        return null;
      case TC.REFERENCE: {
        const handle = handles[reader.u32() - 0x7e0000];
        if (handle === undefined) fail('reference to an unknown handle');
        return handle!;
      }
      case TC.CLASSDESC:
      case TC.PROXYCLASSDESC:
        return classDescBody(tc, depth);
      case TC.OBJECT: {
        const desc = classDesc(depth);
        handles.push('other');
        objectData(desc, depth);
        return 'other';
      }
      case TC.STRING:
        reader.skip(reader.u16());
        handles.push('other');
        return 'other';
      case TC.LONGSTRING: {
        const high = reader.u32();
        if (high !== 0) fail('string too long');
        reader.skip(reader.u32());
        handles.push('other');
        return 'other';
      }
      case TC.ARRAY: {
        const desc = classDesc(depth);
        handles.push('other');
        const length = reader.u32();
        const elementType = desc?.name[1] ?? fail('array without a class');
        const width = primitiveBytes[elementType];
        if (width !== undefined) reader.skip(length * width);
        else for (let i = 0; i < length; i++) content(depth + 1);
        return 'other';
      }
      case TC.CLASS:
        classDesc(depth);
        handles.push('other');
        return 'other';
      case TC.ENUM:
        classDesc(depth);
        handles.push('other');
        content(depth + 1); // the constant's name
        return 'other';
      case TC.BLOCKDATA:
        reader.skip(reader.u8());
        return 'other';
      case TC.BLOCKDATALONG:
        reader.skip(reader.u32());
        return 'other';
      case TC.RESET:
        handles.length = 0;
        return content(depth + 1);
      default:
        return fail(`unexpected type code 0x${tc.toString(16)}`);
    }
  };

  const classDesc = (depth: number): JavaClassDesc | null => {
    const desc = content(depth + 1);
    if (desc === 'other') return fail('expected a class descriptor');
    return desc;
  };

  const classDescBody = (tc: number, depth: number): JavaClassDesc => {
    const desc: JavaClassDesc = { name: '', flags: SC_SERIALIZABLE, fieldTypes: [], superDesc: null };
    if (tc === TC.CLASSDESC) {
      desc.name = decodeModifiedUtf8(reader.take(reader.u16()), 'JCEKS');
      reader.skip(8); // serialVersionUID
      handles.push(desc);
      desc.flags = reader.u8();
      const fields = reader.u16();
      for (let i = 0; i < fields; i++) {
        const type = String.fromCharCode(reader.u8());
        reader.skip(reader.u16()); // field name
        if (type === 'L' || type === '[') content(depth + 1); // the field's class name, a string
        else if (primitiveBytes[type] === undefined) fail(`unknown field type ${type}`);
        desc.fieldTypes.push(type);
      }
    } else {
      handles.push(desc);
      const interfaces = reader.u32();
      if (interfaces > reader.remaining() / 2) fail('too many proxy interfaces');
      for (let i = 0; i < interfaces; i++) reader.skip(reader.u16());
    }
    annotation(depth);
    desc.superDesc = classDesc(depth);
    return desc;
  };

  const annotation = (depth: number): void => {
    for (;;) {
      if (reader.remaining() < 1) fail('truncated');
      if (reader.take(1)[0] === TC.ENDBLOCKDATA) return;
      reader.offset -= 1;
      content(depth + 1);
    }
  };

  const objectData = (desc: JavaClassDesc | null, depth: number): void => {
    const hierarchy: JavaClassDesc[] = [];
    for (let d = desc; d; d = d.superDesc) {
      if (hierarchy.includes(d) || hierarchy.length > MAX_JAVA_OBJECT_DEPTH) fail('class hierarchy loops');
      hierarchy.unshift(d);
    }
    for (const d of hierarchy) {
      if (d.flags & SC_SERIALIZABLE) {
        for (const type of d.fieldTypes) {
          const width = primitiveBytes[type];
          if (width !== undefined) reader.skip(width);
          else content(depth + 1);
        }
        if (d.flags & SC_WRITE_METHOD) annotation(depth);
      } else if (d.flags & SC_EXTERNALIZABLE) {
        if (!(d.flags & SC_BLOCK_DATA)) fail('old-protocol externalizable data');
        annotation(depth);
      }
    }
  };

  content(0);
}
