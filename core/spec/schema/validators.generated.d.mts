// Types for the generated standalone validators (ajv's ValidateFunction shape, trimmed).
export interface SchemaError {
  instancePath: string;
  schemaPath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}
export interface SchemaValidator {
  (data: unknown): boolean;
  errors?: SchemaError[] | null;
}
export declare const validateConfigSchema: SchemaValidator;
export declare const validateStateSchema: SchemaValidator;
export declare const validateFeaturesSchema: SchemaValidator;
