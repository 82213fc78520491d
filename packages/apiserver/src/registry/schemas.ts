import type { JSONSchemaProps } from '../contracts.ts';

/**
 * OpenAPI v3 schemas of the built-in kinds the embedded server serves, written for Trellis: they
 * list every field the kinds have (the server prunes and strictly validates built-ins against
 * them, as decoding into kube's Go types does) with short descriptions for `kubectl explain`.
 * `$ref`s point into components.schemas of the same OpenAPI document (see registry/openapi.ts).
 */

const str = (description: string): JSONSchemaProps => ({ type: 'string', description });
const int = (description: string, format = 'int64'): JSONSchemaProps => ({ type: 'integer', format, description });
const bool = (description: string): JSONSchemaProps => ({ type: 'boolean', description });
const time = (description: string): JSONSchemaProps => ({ type: 'string', format: 'date-time', description });
const strMap = (description: string): JSONSchemaProps => ({
  type: 'object',
  additionalProperties: { type: 'string', default: '' },
  description,
});
const ref = (name: string, description?: string): JSONSchemaProps =>
  description === undefined ? { $ref: `#/components/schemas/${name}` } : { allOf: [{ $ref: `#/components/schemas/${name}` }], description };
const strList = (description: string): JSONSchemaProps => ({ type: 'array', items: { type: 'string', default: '' }, description });

export const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
export const OBJECT_META = `${META}.ObjectMeta`;
export const LIST_META = `${META}.ListMeta`;

const typeMeta = {
  apiVersion: str('APIVersion defines the versioned schema of this representation of an object.'),
  kind: str('Kind is a string value representing the REST resource this object represents.'),
};

/** Shared definitions every document may reference. */
export const sharedSchemas: Record<string, JSONSchemaProps> = {
  [OBJECT_META]: {
    type: 'object',
    description: 'ObjectMeta is metadata that all persisted resources must have.',
    properties: {
      annotations: strMap('Annotations is an unstructured key value map stored with a resource.'),
      creationTimestamp: time('CreationTimestamp is set by the server when the object is created.'),
      deletionGracePeriodSeconds: int('Number of seconds allowed for this object to gracefully terminate.'),
      deletionTimestamp: time('DeletionTimestamp is the time after which this resource will be deleted; set by the server on delete.'),
      finalizers: {
        ...strList('Must be empty before the object is deleted from the registry.'),
        'x-kubernetes-list-type': 'set',
        'x-kubernetes-patch-strategy': 'merge',
      },
      generateName: str('GenerateName is an optional prefix used by the server to generate a unique name.'),
      generation: int('A sequence number representing a specific generation of the desired state.'),
      labels: strMap('Map of string keys and values that can be used to organize and categorize objects.'),
      managedFields: {
        type: 'array',
        description: 'ManagedFields maps workflow-id and version to the set of fields that are managed by that workflow.',
        items: ref(`${META}.ManagedFieldsEntry`),
      },
      name: str('Name must be unique within a namespace.'),
      namespace: str('Namespace defines the space within which each name must be unique.'),
      ownerReferences: {
        type: 'array',
        description: 'List of objects depended by this object.',
        items: ref(`${META}.OwnerReference`),
        'x-kubernetes-list-map-keys': ['uid'],
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-patch-merge-key': 'uid',
        'x-kubernetes-patch-strategy': 'merge',
      },
      resourceVersion: str('An opaque value that represents the internal version of this object.'),
      selfLink: str('Deprecated: selfLink is a legacy read-only field that is no longer populated by the system.'),
      uid: str('UID is the unique in time and space value for this object.'),
    },
  },
  [`${META}.OwnerReference`]: {
    type: 'object',
    description: 'OwnerReference contains enough information to let you identify an owning object.',
    required: ['apiVersion', 'kind', 'name', 'uid'],
    properties: {
      apiVersion: str('API version of the referent.'),
      blockOwnerDeletion: bool(
        'If true, the owner cannot be deleted from the key-value store until this reference is removed (foreground deletion).',
      ),
      controller: bool('If true, this reference points to the managing controller.'),
      kind: str('Kind of the referent.'),
      name: str('Name of the referent.'),
      uid: str('UID of the referent.'),
    },
    'x-kubernetes-map-type': 'atomic',
  },
  [`${META}.ManagedFieldsEntry`]: {
    type: 'object',
    description: 'ManagedFieldsEntry is a workflow-id, a FieldSet and the group version of the resource that the fieldset applies to.',
    properties: {
      apiVersion: str('APIVersion defines the version of this resource that this field set applies to.'),
      fieldsType: str('FieldsType is the discriminator for the different fields format and version.'),
      fieldsV1: {
        type: 'object',
        description: 'FieldsV1 holds the first JSON version format.',
        'x-kubernetes-preserve-unknown-fields': true,
      },
      manager: str('Manager is an identifier of the workflow managing these fields.'),
      operation: str("Operation is the type of operation which lead to this ManagedFieldsEntry being created: 'Apply' or 'Update'."),
      subresource: str('Subresource is the name of the subresource used to update that object.'),
      time: time('Time is the timestamp of when the ManagedFields entry was added.'),
    },
  },
  [LIST_META]: {
    type: 'object',
    description: 'ListMeta describes metadata that synthetic resources must have.',
    properties: {
      continue: str('continue may be set if the user set a limit on the number of items returned.'),
      remainingItemCount: int(
        'remainingItemCount is the number of subsequent items in the list which are not included in this list response.',
      ),
      resourceVersion: str('String that identifies the server internal version of this object.'),
      selfLink: str('Deprecated: selfLink is a legacy read-only field.'),
    },
  },
  [`${META}.Time`]: {
    type: 'string',
    format: 'date-time',
    description: 'Time is a wrapper around time.Time which supports correct marshaling to YAML and JSON.',
  },
  [`${META}.MicroTime`]: {
    type: 'string',
    format: 'date-time',
    description: 'MicroTime is version of Time with microsecond level precision.',
  },
};

const objectRef: JSONSchemaProps = {
  type: 'object',
  description: 'ObjectReference contains enough information to let you inspect or modify the referred object.',
  properties: {
    apiVersion: str('API version of the referent.'),
    fieldPath: str(
      'If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement.',
    ),
    kind: str('Kind of the referent.'),
    name: str('Name of the referent.'),
    namespace: str('Namespace of the referent.'),
    resourceVersion: str('Specific resourceVersion to which this reference is made, if any.'),
    uid: str('UID of the referent.'),
  },
  'x-kubernetes-map-type': 'atomic',
};

const eventSource: JSONSchemaProps = {
  type: 'object',
  description: 'EventSource contains information for an event.',
  properties: { component: str('Component from which the event is generated.'), host: str('Node name on which the event is generated.') },
};

const eventSeriesCore: JSONSchemaProps = {
  type: 'object',
  description: 'EventSeries contains information on series of events.',
  properties: {
    count: int('Number of occurrences in this series up to the last heartbeat time.', 'int32'),
    lastObservedTime: time('Time of the last occurrence observed.'),
  },
};

/** The kinds' own schemas, keyed by definition name. */
export const builtinSchemas: Record<string, JSONSchemaProps> = {
  'io.k8s.api.core.v1.Namespace': {
    type: 'object',
    description: 'Namespace provides a scope for Names. Use of multiple namespaces is optional.',
    properties: {
      ...typeMeta,
      metadata: ref(OBJECT_META, "Standard object's metadata."),
      spec: {
        type: 'object',
        description: 'Spec defines the behavior of the Namespace.',
        properties: {
          finalizers: {
            ...strList('Finalizers is an opaque list of values that must be empty to permanently remove object from storage.'),
            'x-kubernetes-list-type': 'atomic',
          },
        },
      },
      status: {
        type: 'object',
        description: 'Status describes the current status of a Namespace.',
        properties: {
          conditions: {
            type: 'array',
            description: "Represents the latest available observations of a namespace's current state.",
            items: {
              type: 'object',
              required: ['type', 'status'],
              properties: {
                lastTransitionTime: time('Last time the condition transitioned from one status to another.'),
                message: str('Human-readable message indicating details about last transition.'),
                reason: str("Unique, one-word, CamelCase reason for the condition's last transition."),
                status: str('Status of the condition, one of True, False, Unknown.'),
                type: str('Type of namespace controller condition.'),
              },
            },
            'x-kubernetes-list-map-keys': ['type'],
            'x-kubernetes-list-type': 'map',
            'x-kubernetes-patch-merge-key': 'type',
            'x-kubernetes-patch-strategy': 'merge',
          },
          phase: { type: 'string', enum: ['Active', 'Terminating'], description: 'Phase is the current lifecycle phase of the namespace.' },
        },
      },
    },
    'x-kubernetes-group-version-kind': [{ group: '', kind: 'Namespace', version: 'v1' }],
  },
  'io.k8s.api.core.v1.ConfigMap': {
    type: 'object',
    description: 'ConfigMap holds configuration data for pods to consume.',
    properties: {
      ...typeMeta,
      binaryData: {
        type: 'object',
        additionalProperties: { type: 'string', format: 'byte' },
        description: 'BinaryData contains the binary data, base64-encoded.',
      },
      data: strMap('Data contains the configuration data.'),
      immutable: bool('Immutable, if set to true, ensures that data stored in the ConfigMap cannot be updated.'),
      metadata: ref(OBJECT_META, "Standard object's metadata."),
    },
    'x-kubernetes-group-version-kind': [{ group: '', kind: 'ConfigMap', version: 'v1' }],
  },
  'io.k8s.api.core.v1.Secret': {
    type: 'object',
    description:
      'Secret holds secret data of a certain type. The total bytes of the values in the Data field must be less than MaxSecretSize bytes.',
    properties: {
      ...typeMeta,
      data: {
        type: 'object',
        additionalProperties: { type: 'string', format: 'byte' },
        description: 'Data contains the secret data, base64-encoded.',
      },
      immutable: bool('Immutable, if set to true, ensures that data stored in the Secret cannot be updated.'),
      metadata: ref(OBJECT_META, "Standard object's metadata."),
      stringData: strMap(
        'stringData allows specifying non-binary secret data in string form; it is merged into data on write and never output.',
      ),
      type: str('Used to facilitate programmatic handling of secret data.'),
    },
    'x-kubernetes-group-version-kind': [{ group: '', kind: 'Secret', version: 'v1' }],
  },
  'io.k8s.api.core.v1.ServiceAccount': {
    type: 'object',
    description: 'ServiceAccount binds together a name, a principal that can be authenticated and authorized, and a set of secrets.',
    properties: {
      ...typeMeta,
      automountServiceAccountToken: bool(
        'AutomountServiceAccountToken indicates whether pods running as this service account should have an API token automatically mounted.',
      ),
      imagePullSecrets: {
        type: 'array',
        description: 'ImagePullSecrets is a list of references to secrets in the same namespace to use for pulling any images.',
        items: { type: 'object', properties: { name: str('Name of the referent.') }, 'x-kubernetes-map-type': 'atomic' },
        'x-kubernetes-list-type': 'atomic',
      },
      metadata: ref(OBJECT_META, "Standard object's metadata."),
      secrets: {
        type: 'array',
        description:
          'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.',
        items: objectRef,
        'x-kubernetes-list-map-keys': ['name'],
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-patch-merge-key': 'name',
        'x-kubernetes-patch-strategy': 'merge',
      },
    },
    'x-kubernetes-group-version-kind': [{ group: '', kind: 'ServiceAccount', version: 'v1' }],
  },
  'io.k8s.api.core.v1.Event': {
    type: 'object',
    description: 'Event is a report of an event somewhere in the cluster.',
    required: ['metadata', 'involvedObject'],
    properties: {
      ...typeMeta,
      action: str('What action was taken/failed regarding to the Regarding object.'),
      count: int('The number of times this event has occurred.', 'int32'),
      eventTime: { type: 'string', format: 'date-time', description: 'Time when this Event was first observed.' },
      firstTimestamp: time('The time at which the event was first recorded.'),
      involvedObject: { ...objectRef, description: 'The object that this event is about.' },
      lastTimestamp: time('The time at which the most recent occurrence of this event was recorded.'),
      message: str('A human-readable description of the status of this operation.'),
      metadata: ref(OBJECT_META, "Standard object's metadata."),
      reason: str(
        "This should be a short, machine understandable string that gives the reason for the transition into the object's current status.",
      ),
      related: { ...objectRef, description: 'Optional secondary object for more complex actions.' },
      reportingComponent: str('Name of the controller that emitted this Event.'),
      reportingInstance: str('ID of the controller instance.'),
      series: eventSeriesCore,
      source: eventSource,
      type: str('Type of this event (Normal, Warning).'),
    },
    'x-kubernetes-group-version-kind': [{ group: '', kind: 'Event', version: 'v1' }],
  },
  'io.k8s.api.events.v1.Event': {
    type: 'object',
    description: 'Event is a report of an event somewhere in the cluster.',
    required: ['eventTime'],
    properties: {
      ...typeMeta,
      action: str('Action is what action was taken/failed regarding to the regarding object.'),
      deprecatedCount: int('DeprecatedCount is the deprecated field assuring backward compatibility with core.v1 Event type.', 'int32'),
      deprecatedFirstTimestamp: time(
        'DeprecatedFirstTimestamp is the deprecated field assuring backward compatibility with core.v1 Event type.',
      ),
      deprecatedLastTimestamp: time(
        'DeprecatedLastTimestamp is the deprecated field assuring backward compatibility with core.v1 Event type.',
      ),
      deprecatedSource: {
        ...eventSource,
        description: 'DeprecatedSource is the deprecated field assuring backward compatibility with core.v1 Event type.',
      },
      eventTime: { type: 'string', format: 'date-time', description: 'EventTime is the time when this Event was first observed.' },
      metadata: ref(OBJECT_META, "Standard object's metadata."),
      note: str('Note is a human-readable description of the status of this operation.'),
      reason: str('Reason is why the action was taken.'),
      regarding: { ...objectRef, description: 'Regarding contains the object this Event is about.' },
      related: { ...objectRef, description: 'Related is the optional secondary object for more complex actions.' },
      reportingController: str('ReportingController is the name of the controller that emitted this Event.'),
      reportingInstance: str('ReportingInstance is the ID of the controller instance.'),
      series: {
        type: 'object',
        description: 'Series is data about the Event series this event represents.',
        required: ['count', 'lastObservedTime'],
        properties: {
          count: int('Count is the number of occurrences in this series up to the last heartbeat time.', 'int32'),
          lastObservedTime: time('LastObservedTime is the time when last Event from the series was seen.'),
        },
      },
      type: str('Type is the type of this event (Normal, Warning).'),
    },
    'x-kubernetes-group-version-kind': [{ group: 'events.k8s.io', kind: 'Event', version: 'v1' }],
  },
  'io.k8s.api.coordination.v1.Lease': {
    type: 'object',
    description: 'Lease defines a lease concept.',
    properties: {
      ...typeMeta,
      metadata: ref(OBJECT_META, 'More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata'),
      spec: {
        type: 'object',
        description: 'LeaseSpec is a specification of a Lease.',
        properties: {
          acquireTime: { type: 'string', format: 'date-time', description: 'acquireTime is a time when the current lease was acquired.' },
          holderIdentity: str('holderIdentity contains the identity of the holder of a current lease.'),
          leaseDurationSeconds: int(
            'leaseDurationSeconds is a duration that candidates for a lease need to wait to force acquire it.',
            'int32',
          ),
          leaseTransitions: int('leaseTransitions is the number of transitions of a lease between holders.', 'int32'),
          preferredHolder: str(
            'PreferredHolder signals to a lease holder that the lease has a more optimal holder and should be given up.',
          ),
          renewTime: {
            type: 'string',
            format: 'date-time',
            description: 'renewTime is a time when the current holder of a lease has last updated the lease.',
          },
          strategy: str('Strategy indicates the strategy for picking the leader for coordinated leader election.'),
        },
      },
    },
    'x-kubernetes-group-version-kind': [{ group: 'coordination.k8s.io', kind: 'Lease', version: 'v1' }],
  },
};

const printerColumnSchema: JSONSchemaProps = {
  type: 'object',
  required: ['name', 'type', 'jsonPath'],
  properties: {
    description: str('description is a human readable description of this column.'),
    format: str('format is an optional OpenAPI type definition for this column.'),
    jsonPath: str('jsonPath is a simple JSON path evaluated against each custom resource to produce the value for this column.'),
    name: str('name is a human readable name for the column.'),
    priority: int('priority is an integer defining the relative importance of this column compared to others.', 'int32'),
    type: str('type is an OpenAPI type definition for this column.'),
  },
};

const names: JSONSchemaProps = {
  type: 'object',
  required: ['plural', 'kind'],
  properties: {
    categories: {
      ...strList("categories is a list of grouped resources this custom resource belongs to (e.g. 'all')."),
      'x-kubernetes-list-type': 'atomic',
    },
    kind: str('kind is the serialized kind of the resource.'),
    listKind: str('listKind is the serialized kind of the list for this resource.'),
    plural: str('plural is the plural name of the resource to serve.'),
    shortNames: {
      ...strList('shortNames are short names for the resource, exposed in API discovery documents.'),
      'x-kubernetes-list-type': 'atomic',
    },
    singular: str('singular is the singular name of the resource.'),
  },
};

builtinSchemas['io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition'] = {
  type: 'object',
  description: 'CustomResourceDefinition represents a resource that should be exposed on the API server.',
  required: ['spec'],
  properties: {
    ...typeMeta,
    metadata: ref(OBJECT_META, "Standard object's metadata."),
    spec: {
      type: 'object',
      description: 'spec describes how the user wants the resources to appear.',
      required: ['group', 'names', 'scope', 'versions'],
      properties: {
        conversion: {
          type: 'object',
          description: 'conversion defines conversion settings for the CRD.',
          required: ['strategy'],
          properties: {
            strategy: str('strategy specifies how custom resources are converted between versions: None or Webhook.'),
            webhook: {
              type: 'object',
              description: 'webhook describes how to call the conversion webhook.',
              properties: {
                clientConfig: {
                  type: 'object',
                  description: 'clientConfig is the instructions for how to call the webhook.',
                  properties: {
                    caBundle: { type: 'string', format: 'byte', description: 'caBundle is a PEM encoded CA bundle.' },
                    service: {
                      type: 'object',
                      description: 'service is a reference to the service for this webhook.',
                      required: ['namespace', 'name'],
                      properties: {
                        name: str('name of the service.'),
                        namespace: str('namespace of the service.'),
                        path: str('path is an optional URL path.'),
                        port: int('port on the service.', 'int32'),
                      },
                    },
                    url: str('url gives the location of the webhook.'),
                  },
                },
                conversionReviewVersions: {
                  ...strList('conversionReviewVersions is an ordered list of preferred ConversionReview versions.'),
                  'x-kubernetes-list-type': 'atomic',
                },
              },
            },
          },
        },
        group: str('group is the API group of the defined custom resource.'),
        names: { ...names, description: 'names specify the resource and kind names for the custom resource.' },
        preserveUnknownFields: bool(
          'preserveUnknownFields indicates that object fields which are not specified in the OpenAPI schema should be preserved when persisting to storage.',
        ),
        scope: str('scope indicates whether the defined custom resource is cluster- or namespace-scoped: Cluster or Namespaced.'),
        versions: {
          type: 'array',
          description: 'versions is the list of all API versions of the defined custom resource.',
          'x-kubernetes-list-type': 'atomic',
          items: {
            type: 'object',
            required: ['name', 'served', 'storage'],
            properties: {
              additionalPrinterColumns: {
                type: 'array',
                description: 'additionalPrinterColumns specifies additional columns returned in Table output.',
                items: printerColumnSchema,
                'x-kubernetes-list-type': 'atomic',
              },
              deprecated: bool('deprecated indicates this version of the custom resource API is deprecated.'),
              deprecationWarning: str('deprecationWarning overrides the default warning returned to API clients.'),
              name: str('name is the version name, e.g. "v1", "v2beta1".'),
              schema: {
                type: 'object',
                description:
                  'schema describes the schema used for validation, pruning, and defaulting of this version of the custom resource.',
                properties: {
                  openAPIV3Schema: {
                    type: 'object',
                    description: 'openAPIV3Schema is the OpenAPI v3 schema to use for validation and pruning.',
                    'x-kubernetes-preserve-unknown-fields': true,
                  },
                },
              },
              selectableFields: {
                type: 'array',
                description: 'selectableFields specifies paths to fields that may be used as field selectors.',
                items: { type: 'object', required: ['jsonPath'], properties: { jsonPath: str('jsonPath is a simple JSON path.') } },
                'x-kubernetes-list-type': 'atomic',
              },
              served: bool('served is a flag enabling/disabling this version from being served via REST APIs.'),
              storage: bool('storage indicates this version should be used when persisting custom resources to storage.'),
              subresources: {
                type: 'object',
                description: 'subresources specify what subresources this version of the defined custom resource have.',
                properties: {
                  scale: {
                    type: 'object',
                    description: 'scale indicates the custom resource should serve a /scale subresource.',
                    required: ['specReplicasPath', 'statusReplicasPath'],
                    properties: {
                      labelSelectorPath: str(
                        'labelSelectorPath defines the JSON path inside of a custom resource that corresponds to Scale status.selector.',
                      ),
                      specReplicasPath: str(
                        'specReplicasPath defines the JSON path inside of a custom resource that corresponds to Scale spec.replicas.',
                      ),
                      statusReplicasPath: str(
                        'statusReplicasPath defines the JSON path inside of a custom resource that corresponds to Scale status.replicas.',
                      ),
                    },
                  },
                  status: {
                    type: 'object',
                    description: 'status indicates the custom resource should serve a /status subresource.',
                    'x-kubernetes-preserve-unknown-fields': true,
                  },
                },
              },
            },
          },
        },
      },
    },
    status: {
      type: 'object',
      description: 'status indicates the actual state of the CustomResourceDefinition.',
      properties: {
        acceptedNames: { ...names, description: 'acceptedNames are the names that are actually being used to serve discovery.' },
        conditions: {
          type: 'array',
          description: 'conditions indicate state for particular aspects of a CustomResourceDefinition.',
          items: {
            type: 'object',
            required: ['type', 'status'],
            properties: {
              lastTransitionTime: time('lastTransitionTime last time the condition transitioned from one status to another.'),
              message: str('message is a human-readable message indicating details about last transition.'),
              observedGeneration: int('observedGeneration represents the .metadata.generation that the condition was set based upon.'),
              reason: str("reason is a unique, one-word, CamelCase reason for the condition's last transition."),
              status: str('status is the status of the condition. Can be True, False, Unknown.'),
              type: str('type is the type of the condition. Types include Established, NamesAccepted and Terminating.'),
            },
          },
          'x-kubernetes-list-map-keys': ['type'],
          'x-kubernetes-list-type': 'map',
        },
        observedGeneration: int('The generation observed by the CRD controller.'),
        storedVersions: {
          ...strList('storedVersions lists all versions of CustomResources that were ever persisted.'),
          'x-kubernetes-list-type': 'atomic',
        },
      },
    },
  },
  'x-kubernetes-group-version-kind': [{ group: 'apiextensions.k8s.io', kind: 'CustomResourceDefinition', version: 'v1' }],
};

/** Scale is autoscaling/v1 Scale, served at `/scale` of CRs with a scale subresource. */
builtinSchemas['io.k8s.api.autoscaling.v1.Scale'] = {
  type: 'object',
  description: 'Scale represents a scaling request for a resource.',
  properties: {
    ...typeMeta,
    metadata: ref(OBJECT_META, 'Standard object metadata.'),
    spec: {
      type: 'object',
      description: 'spec defines the behavior of the scale.',
      properties: { replicas: int('replicas is the desired number of instances for the scaled object.', 'int32') },
    },
    status: {
      type: 'object',
      description: 'status is the current status of the scale.',
      required: ['replicas'],
      properties: {
        replicas: int('replicas is the actual number of observed instances of the scaled object.', 'int32'),
        selector: str('selector is the label query over pods that should match the replicas count.'),
      },
    },
  },
  'x-kubernetes-group-version-kind': [{ group: 'autoscaling', kind: 'Scale', version: 'v1' }],
};

/** ResolveRef returns the schema a `$ref` (or single-element allOf of a $ref) points to. */
export function resolveSchema(s: JSONSchemaProps | undefined): JSONSchemaProps | undefined {
  if (s === undefined) return undefined;
  const r =
    typeof s.$ref === 'string'
      ? s.$ref
      : Array.isArray(s.allOf) && s.allOf.length === 1
        ? ((s.allOf[0] as JSONSchemaProps).$ref as string | undefined)
        : undefined;
  if (r === undefined) return s;
  const name = r.replace('#/components/schemas/', '');
  return sharedSchemas[name] ?? builtinSchemas[name];
}
