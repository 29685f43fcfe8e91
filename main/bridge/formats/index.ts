/** The CA assistants' data formats (docs/compat.md「数据格式」), for the bridge's protocol handlers. */
export * from './cert-info.ts';
export * from './signing.ts';
export * from './pkcs7.ts';
export * from './envelope.ts';
